// Reading and rewriting docs/BENCHMARKS.md: each benchmark owns one `## ` section and
// rewrites only that one (markdown-sections.ts), creating the file when missing.
import fs from 'node:fs/promises';
import path from 'node:path';
import { replaceSection } from './markdown-sections.js';

const PREAMBLE = `# Benchmarks

Measured figures of Shaobing, each with the machine it ran on. Every section is
written by its benchmark and rewritten (only that section) when it runs again:
\`npm run bench:ingest\` owns "Ingest (bench/ingest)". Figures from a shared or
busy machine are lower than what the code can do; compare runs on one machine.
`;

/** Replaces (or appends) the section that `section` starts with; its first line is the heading. */
export async function writeBenchmarksSection(file: string, section: string): Promise<void> {
  const heading = section.slice(0, section.indexOf('\n'));
  let document: string;
  try {
    document = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    document = PREAMBLE;
  }
  await fs.mkdir(path.dirname(file), { recursive: true });
  const next = replaceSection(document, heading, section);
  const temp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(temp, next);
  await fs.rename(temp, file);
}
