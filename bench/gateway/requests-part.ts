// Part (a): Modbus requests per poll cycle for every profile in the library, coalesced by the
// gateway's planner versus one request per point. Pure arithmetic over read-plan.ts: no I/O
// besides loading the profiles.
import { defaultProfilesDir, loadProfileLibrary } from '../../gateway/profile.js';
import type { DeviceProfile } from '../../gateway/profile-schema.js';
import { planReads } from '../../gateway/read-plan.js';
import { formatMarkdownTable } from './markdown-table.js';
import { partHeading, type GatewayBenchPart, type PartResult } from './parts.js';

/** Gaps compared: 0 (the default: adjacent points only), and two opt-in `maxGapRegisters`. */
export const GAPS = [0, 8, 32] as const;

export interface RequestCounts {
  profile: string;
  points: number;
  perPoint: number;
  /** Requests per cycle for each gap in GAPS. */
  coalesced: number[];
  /** Registers (and bits) read per cycle for each gap: the price of reading through gaps. */
  registersRead: number[];
}

export function requestCounts(profile: DeviceProfile): RequestCounts {
  const plans = GAPS.map((gap) => planReads(profile.points, { maxGapRegisters: gap, maxGapBits: gap }));
  return {
    profile: profile.name,
    points: profile.points.length,
    perPoint: profile.points.length,
    coalesced: plans.map((plan) => plan.length),
    registersRead: plans.map((plan) => plan.reduce((sum, block) => sum + block.count, 0)),
  };
}

export function renderRequests(rows: RequestCounts[]): { markdown: string; summary: string[] } {
  const total = (pick: (r: RequestCounts) => number) => rows.reduce((sum, r) => sum + pick(r), 0);
  const table = formatMarkdownTable(
    ['profile', 'points', 'one request per point', ...GAPS.map((g) => (g === 0 ? 'coalesced (gap 0, default)' : `coalesced, maxGapRegisters ${g}`))],
    [
      ...rows.map((r) => [r.profile, String(r.points), String(r.perPoint), ...r.coalesced.map((c, i) => `${c} (${r.registersRead[i]} reg.)`)]),
      ['**all profiles**', String(total((r) => r.points)), String(total((r) => r.perPoint)), ...GAPS.map((_, i) => `**${total((r) => r.coalesced[i]!)}** (${total((r) => r.registersRead[i]!)} reg.)`)],
    ],
  );
  const perPoint = total((r) => r.perPoint);
  const summary = GAPS.map((gap, i) => {
    const coalesced = total((r) => r.coalesced[i]!);
    return `gap ${gap}: ${coalesced} requests per cycle for ${rows.length} profiles instead of ${perPoint} (${(perPoint / coalesced).toFixed(1)}× fewer)`;
  });
  const markdown = [
    'One poll cycle of one device of each profile in `device-profiles/`, planned by `gateway/read-plan.ts` (≤ 125 registers per request). ' +
      '"reg." is the number of registers (and bits) the requests read: reading through gaps costs a few bytes on the line but saves a round trip ' +
      '(on RS-485 at 9600 baud a round trip costs ≈ 10–20 ms of turnaround plus 1 ms per byte). Gaps are opt-in per device (`maxGapRegisters`): a device that refuses such a read is split automatically.',
    '',
    table,
    '',
    ...summary.map((line) => `- ${line}`),
  ].join('\n');
  return { markdown, summary };
}

export const requestsPart: GatewayBenchPart = {
  id: 'a',
  title: 'Requests per poll cycle: coalesced vs one per point',
  async run(): Promise<PartResult> {
    const library = await loadProfileLibrary(defaultProfilesDir());
    const rows = [...library.values()].sort((a, b) => a.name.localeCompare(b.name)).map(requestCounts);
    const { markdown, summary } = renderRequests(rows);
    return { markdown: `${partHeading(this)}\n\n${markdown}\n`, summary };
  },
};
