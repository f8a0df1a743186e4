// The Gateway section of docs/BENCHMARKS.md: parts rewrite their own subsections only.
import { describe, expect, it } from 'vitest';
import { extractSection, renderGatewaySection, subsectionsById } from './gateway-section.js';

const doc = `# Benchmarks

## Ingest (bench/ingest)

ingest figures

## Gateway (bench/gateway)

old intro

### (a) Requests

old a

### (c) Outbox drain

c figures
`;

describe('gateway section', () => {
  it('finds the section and its subsections by part id', () => {
    const section = extractSection(doc);
    expect(section.startsWith('## Gateway (bench/gateway)')).toBe(true);
    expect([...subsectionsById(section).keys()]).toEqual(['a', 'c']);
    expect(subsectionsById(section).get('c')).toBe('### (c) Outbox drain\n\nc figures\n');
    expect(extractSection('# nothing here')).toBe('');
  });

  it('replaces the parts that ran, keeps the others, in id order', () => {
    const section = renderGatewaySection('new intro', new Map([['b', '### (b) Polling\n\nb figures\n'], ['a', '### (a) Requests\n\nnew a\n']]), extractSection(doc));
    expect(section).toBe('## Gateway (bench/gateway)\n\nnew intro\n\n### (a) Requests\n\nnew a\n\n### (b) Polling\n\nb figures\n\n### (c) Outbox drain\n\nc figures\n');
  });
});
