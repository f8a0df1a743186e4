// `npm run bench:broker-queue`: the broker persistence's cost per message against the backlog a
// lagging subscriber leaves in its queue, aedes-persistence's in-memory store and ours side by
// side in one run; rewrites the "Broker outgoing queue (bench/broker-queue)" section of
// docs/BENCHMARKS.md.
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import MemoryPersistence from 'aedes-persistence/asyncPersistence.js';
import { IndexedMemoryPersistence } from '../../broker/indexed-persistence.js';
import { formatMarkdownTable } from '../gateway/markdown-table.js';
import { describeMachine, packageVersions } from '../ingest/machine.js';
import { replaceSection } from '../ingest/markdown-sections.js';
import { measureQueueCost } from './queue-cost.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const HEADING = '## Broker outgoing queue (bench/broker-queue)';
const BACKLOGS = [0, 1_000, 10_000, 50_000, 100_000];
const RUNS = 3;
const OPTIONS = { messages: 100_000, maxMs: 3000 };

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const fmt = (n: number, digits = 1): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
/** 10⁶ / µs, to 3 significant figures. */
const perSecond = (us: number): string => Number((1e6 / us).toPrecision(3)).toLocaleString('en-US');

async function main(): Promise<void> {
  const started = Date.now();
  const machine = await describeMachine('influxd');
  process.stdout.write(`broker outgoing queue — ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}; load average ${machine.loadAverage.toFixed(2)}\n`);
  const rows: string[][] = [];
  for (const backlog of BACKLOGS) {
    const cost = { library: [] as number[], indexed: [] as number[] };
    for (let run = 0; run < RUNS; run++) {
      // Alternating which store goes first within a run, so neither always gets the warmer JIT.
      const order = run % 2 === 0 ? (['library', 'indexed'] as const) : (['indexed', 'library'] as const);
      for (const which of order) {
        const store = which === 'library' ? new MemoryPersistence() : new IndexedMemoryPersistence();
        const result = await measureQueueCost(store, { backlog, ...OPTIONS });
        cost[which].push(result.usPerMessage);
      }
    }
    const library = median(cost.library);
    const indexed = median(cost.indexed);
    process.stdout.write(`  backlog ${backlog.toLocaleString('en-US')}: aedes-persistence ${fmt(library, 2)} µs/msg, ours ${fmt(indexed, 2)} µs/msg\n`);
    rows.push([backlog.toLocaleString('en-US'), fmt(library, 2), perSecond(library), fmt(indexed, 2), perSecond(indexed), `${fmt(library / indexed, 1)} ×`]);
  }
  const packages = await packageVersions(REPO_ROOT, ['aedes', 'aedes-persistence']);
  const section = [
    HEADING,
    '',
    'What one QoS 1 message to a persistent subscriber costs the broker\'s persistence while that subscriber lags: the three calls Aedes makes per message (queue it, record the packet id it was sent with, clear it on the PUBACK) with a backlog of messages already sent and not yet acknowledged in the queue (Aedes has no in-flight window: a lagging ingest holds its whole backlog there). aedes-persistence\'s in-memory store keeps the queue as an array and scans it on each call; ours (broker/indexed-persistence.ts) indexes it. Same process, same calls, acknowledgements in order; per backlog the median of 3 runs of up to 100,000 messages or 3 s.',
    '',
    `- **Date**: ${new Date(started).toISOString().replace(/\.\d+Z$/, 'Z')}; took ${Math.round((Date.now() - started) / 1000)} s`,
    '- **Command**: `npm run bench:broker-queue`',
    `- **Machine**: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB.toFixed(1)} GiB RAM, ${machine.os}; load average ${machine.loadAverage.toFixed(2)} at the start`,
    `- **Software**: Node ${machine.node}; ${Object.entries(packages).map(([name, version]) => `${name} ${version}`).join(', ')}`,
    '',
    formatMarkdownTable(['backlog (messages in flight)', 'aedes-persistence µs/msg', 'its ceiling, msgs/s', 'ours µs/msg', 'our ceiling, msgs/s', 'ours faster by'], rows),
    '',
    '"Ceiling" is 10⁶ / µs: the most messages per second the persistence alone would let one core pass at that backlog, before MQTT, the network or the store. With an empty queue our indexes cost a little more than the array (first row); from a backlog of a thousand on, the scans dominate. With the array, the cost grows with the backlog, so a subscriber that falls behind makes the broker slower still: the 10-minute soak at 12,400 msgs/s (then the benchmark figure; docs/RELIABILITY.md, "Overload") sank from 9,190 to 3,630 msgs/s with the library\'s store while the queue grew to 73k (on a machine also running other tests, load average 4.7), and held 12,400 msgs/s with ours (load average 1.6). The load differed between those two soaks; the figures here compare the stores alone, side by side.',
    '',
  ].join('\n');
  const docPath = path.join(REPO_ROOT, 'docs', 'BENCHMARKS.md');
  await fs.writeFile(docPath, replaceSection(await fs.readFile(docPath, 'utf8'), HEADING, section));
  process.stdout.write(`wrote "${HEADING.slice(3)}" in docs/BENCHMARKS.md\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:broker-queue failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
