// The `## Gateway (bench/gateway)` section of docs/BENCHMARKS.md: an introduction plus one `### `
// subsection per part. Running some parts rewrites their subsections and keeps the others', so
// `--only b` does not erase (a), and a part added later slots in by its id. Pure.

export const GATEWAY_HEADING = '## Gateway (bench/gateway)';

/** `### (x) …` subsections of a section, by part id, in document order. */
export function subsectionsById(section: string): Map<string, string> {
  const found = new Map<string, string>();
  const lines = section.split('\n');
  let id: string | undefined;
  let buffer: string[] = [];
  const flush = () => {
    if (id !== undefined) found.set(id, `${buffer.join('\n').replace(/\n+$/, '')}\n`);
  };
  for (const line of lines) {
    const match = /^### \(([a-z0-9-]+)\) /.exec(line);
    if (match || /^## /.test(line)) {
      flush();
      id = match?.[1];
      buffer = match ? [line] : [];
    } else if (id !== undefined) {
      buffer.push(line);
    }
  }
  flush();
  return found;
}

/** The section text of a document (from its heading to the next `## `), or ''. */
export function extractSection(document: string, heading = GATEWAY_HEADING): string {
  const start = document.split('\n').findIndex((line) => line.trimEnd() === heading);
  if (start < 0) return '';
  const lines = document.split('\n').slice(start);
  const end = lines.findIndex((line, i) => i > 0 && /^## /.test(line));
  return lines.slice(0, end < 0 ? undefined : end).join('\n');
}

/**
 * The new section: `intro`, then the subsections of `fresh` (just measured) and of `previous`
 * (kept from the document), ordered by part id.
 */
export function renderGatewaySection(intro: string, fresh: Map<string, string>, previousSection: string): string {
  const merged = new Map([...subsectionsById(previousSection), ...fresh]);
  const ordered = [...merged.keys()].sort();
  return [GATEWAY_HEADING, '', intro.trim(), '', ...ordered.map((id) => merged.get(id)!.trimEnd() + '\n')].join('\n');
}
