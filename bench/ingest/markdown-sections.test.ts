// Replacing one section of docs/BENCHMARKS.md leaves every other section as it was.
import { describe, expect, it } from 'vitest';
import { replaceSection } from './markdown-sections.js';

const H = '## Ingest (bench/ingest)';
const NEW = `${H}\n\nnew figures\n`;

describe('replaceSection', () => {
  it.each<[string, string, string]>([
    ['an empty document', '', NEW],
    ['a document without the section: appended', '# Benchmarks\n\nintro\n', `# Benchmarks\n\nintro\n\n${NEW}`],
    ['the section in the middle', `# B\n\n${H}\n\nold\n\n## Gateway (bench/gateway)\n\ng\n`, `# B\n\n${NEW}\n## Gateway (bench/gateway)\n\ng\n`],
    ['the section at the end', `# B\n\n## Gateway (bench/gateway)\n\ng\n\n${H}\n\nold\nlines\n`, `# B\n\n## Gateway (bench/gateway)\n\ng\n\n${NEW}`],
    ['the section first', `${H}\nold\n## Other\nx\n`, `${NEW}\n## Other\nx\n`],
    ['a "## " line inside a code block is not a heading', `${H}\n\n\`\`\`sh\n## comment\n\`\`\`\n\n## Other\nx\n`, `${NEW}\n## Other\nx\n`],
    ['### subsections belong to the section', `${H}\n### Results\nold\n## Other\n`, `${NEW}\n## Other\n`],
  ])('%s', (_name, document, expected) => {
    expect(replaceSection(document, H, NEW)).toBe(expected);
  });

  it('is stable: replacing twice gives the same document', () => {
    const once = replaceSection(`# B\n\n${H}\nold\n\n## Other\nx\n`, H, NEW);
    expect(replaceSection(once, H, NEW)).toBe(once);
  });

  it('refuses a section that does not start with its heading', () => {
    expect(() => replaceSection('', H, '## Something else\n')).toThrow(/must start with/);
  });
});
