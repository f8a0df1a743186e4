// Replacing one `## ` section of a Markdown document, so that each benchmark rewrites
// its own section of docs/BENCHMARKS.md and leaves the others alone. Pure.

const FENCE = /^\s{0,3}(```|~~~)/;

/** Line index of each level-2 heading, skipping fenced code blocks (a `## ` comment in a shell block is not a heading). */
function level2Headings(lines: readonly string[]): number[] {
  const found: number[] = [];
  let fence: string | undefined;
  lines.forEach((line, i) => {
    const match = FENCE.exec(line);
    if (match) {
      if (fence === undefined) fence = match[1];
      else if (match[1] === fence) fence = undefined;
      return;
    }
    if (fence === undefined && /^## /.test(line)) found.push(i);
  });
  return found;
}

/**
 * Returns `document` with the section titled `heading` (a full line such as
 * `## Ingest (bench/ingest)`) replaced by `section`, which must start with that
 * heading. The section runs to the next level-2 heading or the end. If the document
 * has no such section, `section` is appended.
 */
export function replaceSection(document: string, heading: string, section: string): string {
  if (!section.startsWith(`${heading}\n`)) throw new Error(`the new section must start with the line "${heading}"`);
  const body = section.endsWith('\n') ? section : `${section}\n`;
  const lines = document.split('\n');
  const headings = level2Headings(lines);
  const start = headings.find((i) => lines[i]!.trimEnd() === heading);
  if (start === undefined) {
    const trimmed = document.replace(/\n*$/, '');
    return trimmed === '' ? body : `${trimmed}\n\n${body}`;
  }
  const end = headings.find((i) => i > start);
  const before = lines.slice(0, start).join('\n');
  const after = end === undefined ? '' : lines.slice(end).join('\n');
  return `${before}${start > 0 ? '\n' : ''}${body}${after ? `\n${after}` : ''}`;
}
