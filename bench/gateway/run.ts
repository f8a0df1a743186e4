// `npm run bench:gateway`: the gateway's benchmark parts (parts.ts), run in order, each
// rewriting its own subsection of "## Gateway (bench/gateway)" in docs/BENCHMARKS.md.
//   --only a,b        run some parts (the others' subsections are kept)
//   --duration S      measurement window of timed parts (default 30)
//   --warmup S        settling time before measuring (default 5)
//   --devices N --points N --interval MS   part (b)'s load (default 50 × 20 at 1000 ms)
//   --no-doc          print only
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeBenchmarksSection } from '../ingest/benchmarks-doc.js';
import { extractSection, GATEWAY_HEADING, renderGatewaySection } from './gateway-section.js';
import type { GatewayBenchOptions, GatewayBenchPart } from './parts.js';
import { outboxDrainPart } from './outbox-drain-part.js';
import { pollingPart } from './polling-part.js';
import { requestsPart } from './requests-part.js';

/** Every part, in run order. Add a part here. */
export const PARTS: GatewayBenchPart[] = [requestsPart, pollingPart, outboxDrainPart];

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BENCHMARKS_DOC = path.join(REPO_ROOT, 'docs', 'BENCHMARKS.md');

const INTRO = 'Written by `npm run bench:gateway` (bench/gateway/run.ts); each part rewrites its own subsection (`--only b` keeps the others).';

function parseArgs(argv: string[]): { options: GatewayBenchOptions; only?: Set<string>; writeDoc: boolean } {
  const options: GatewayBenchOptions = { durationMs: 30_000, warmupMs: 5000, devices: 50, points: 20, pollIntervalMs: 1000 };
  let only: Set<string> | undefined;
  let writeDoc = true;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined || !/^\d+$/.test(v)) throw new Error(`${flag} needs a whole number`);
      return Number(v);
    };
    switch (flag) {
      case '--only':
        only = new Set((argv[++i] ?? '').split(',').filter(Boolean));
        for (const id of only) if (!PARTS.some((p) => p.id === id)) throw new Error(`--only: no part "${id}" (parts: ${PARTS.map((p) => p.id).join(', ')})`);
        break;
      case '--duration':
        options.durationMs = value() * 1000;
        break;
      case '--warmup':
        options.warmupMs = value() * 1000;
        break;
      case '--devices':
        options.devices = value();
        break;
      case '--points':
        options.points = value();
        break;
      case '--interval':
        options.pollIntervalMs = value();
        break;
      case '--no-doc':
        writeDoc = false;
        break;
      default:
        throw new Error(`unknown option ${flag}`);
    }
  }
  return { options, ...(only ? { only } : {}), writeDoc };
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`bench:gateway: ${(err as Error).message}`);
    return 2;
  }
  const say = (line: string) => console.log(line);
  const parts = PARTS.filter((p) => !args.only || args.only.has(p.id));
  const fresh = new Map<string, string>();
  for (const [i, part] of parts.entries()) {
    say(`\n[${i + 1}/${parts.length}] (${part.id}) ${part.title}`);
    const result = await part.run(args.options, say);
    for (const line of result.summary) say(`  ${line}`);
    fresh.set(part.id, result.markdown);
  }
  if (args.writeDoc) {
    let previous = '';
    try {
      previous = extractSection(await fs.readFile(BENCHMARKS_DOC, 'utf8'), GATEWAY_HEADING);
    } catch {
      // no document yet
    }
    await writeBenchmarksSection(BENCHMARKS_DOC, renderGatewaySection(INTRO, fresh, previous));
    say(`\nwrote the "${GATEWAY_HEADING.slice(3)}" section of ${path.relative(process.cwd(), BENCHMARKS_DOC)}`);
  }
  return 0;
}

process.exitCode = await main();
