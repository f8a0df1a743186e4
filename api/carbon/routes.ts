// GET /v1/carbon/emissions: emissions from energy-meter and fuel-meter counters per day or
// month (China Standard Time), per device and per site, split into scope 1 and 2, naming
// the factor set used and the data-quality flags of every bucket; JSON or CSV.
// GET /v1/carbon/factor-sets lists the sets. The arithmetic lives in emissions.ts.
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { calendarBuckets, CHINA_UTC_OFFSET_MINUTES, formatUtcOffset } from '../../lib/calendar-buckets.js';
import { ConfigError } from '../../lib/config.js';
import type { HistorySeries, TelemetryStore } from '../../store/types.js';
import { BadParameterError, idParam, parseTime } from '../params.js';
import { emissionsCsv } from './csv.js';
import { emissionsReport, MissingFactorError, QUALITY_FLAGS, type SourceReadings } from './emissions.js';
import { builtInFactorsDir, loadFactorSets, newestFactorSet } from './factor-sets.js';
import { CarbonSources, loadSourcesFile } from './sources.js';

export interface CarbonOptions {
  /** Sources file (YAML/JSON): which counters are what, beyond the built-in profile defaults. */
  sourcesFile?: string;
  /** More factor sets, besides the built-in api/carbon/factors. */
  factorsDir?: string;
  /** Factor set used when a request names none (default: the newest vintage). */
  defaultFactorSet?: string;
}

const DAY_MS = 86_400_000;
/** Readings this far outside the range are read too, so intervals across its edges are shared out. */
export const EDGE_MARGIN_MS = 2 * DAY_MS;
/** Raw readings per series at most; above it, the last reading of each window is used. */
export const RAW_POINT_LIMIT = 50_000;
const MAX_BUCKETS: Record<'day' | 'month', number> = { day: 400, month: 120 };
const OFFSET = CHINA_UTC_OFFSET_MINUTES;

export const ROUNDING_RULE = 'activity per bucket rounded to 3 decimals (half up); co2Kg = that activity × factor.kgCO2PerUnit, rounded to 3 decimals; totals are exact sums of the rounded bucket figures';

/** "2026-03-01" and "2026-03" are local (China Standard Time) midnights; other forms as parseTime. */
export function parseLocalTime(text: string, nowMs: number, utcOffsetMinutes = OFFSET): number | undefined {
  const date = /^(\d{4})-(\d{2})(?:-(\d{2}))?$/.exec(text.trim());
  if (date) {
    const [year, month, day] = [Number(date[1]), Number(date[2]), Number(date[3] ?? '1')];
    const utc = Date.UTC(year, month - 1, day);
    const check = new Date(utc);
    if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return undefined;
    return utc - utcOffsetMinutes * 60_000;
  }
  return parseTime(text, nowMs);
}

export function formatLocal(ts: number, utcOffsetMinutes = OFFSET): string {
  return `${new Date(ts + utcOffsetMinutes * 60_000).toISOString().slice(0, 19)}${formatUtcOffset(utcOffsetMinutes)}`;
}

const keyPattern = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const emissionsQuery = z.strictObject({
  site: idParam.optional(),
  device: idParam.optional(),
  from: z.string().optional().describe('start: a local date "2026-03-01" or month "2026-03" (China Standard Time), ISO 8601 with zone, epoch ms, or "-30d"; widened to the start of its day/month. Default: 30 days (interval day) or 12 months (interval month) before `to`'),
  to: z.string().optional().describe('end (exclusive), same forms; widened to the end of its day/month. Default now'),
  interval: z.enum(['day', 'month']).default('day').describe('bucket: local calendar day or month'),
  factorSet: z.string().regex(keyPattern, 'a factor set id such as mee-2023').optional().describe('factor set id (GET /v1/carbon/factor-sets); default the configured one, else the newest vintage'),
  grid: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'an electricity factor of the set, e.g. northeast or national').optional().describe("which electricity factor of the set; default the set's defaultGrid"),
  format: z.enum(['json', 'csv']).optional().describe('csv also when the request sends "Accept: text/csv"'),
});

const flagEnum = z.enum(QUALITY_FLAGS as [string, ...string[]]);
const bucketTimes = { period: z.string(), start: z.string(), end: z.string() };
const factorResponse = z.object({ kgCO2PerUnit: z.number(), unit: z.string(), derivation: z.string(), checked: z.boolean() });
const emissionsResponse = z.object({
  from: z.string(), to: z.string(), interval: z.enum(['day', 'month']), utcOffset: z.string(),
  factorSet: z.object({ id: z.string(), vintage: z.number(), title: z.string(), grid: z.string(), electricityTCO2PerMWh: z.number(), checked: z.boolean() }),
  rounding: z.string(),
  sources: z.array(z.object({
    site: z.string(), gateway: z.string(), device: z.string(), profile: z.string(), measurement: z.string(), field: z.string(),
    kind: z.string(), unit: z.string(), scope: z.union([z.literal(1), z.literal(2)]), factor: factorResponse, resolution: z.string(),
    buckets: z.array(z.object({
      ...bucketTimes, activity: z.number().nullable(), co2Kg: z.number().nullable(), coverage: z.number(), excludedActivity: z.number(), flags: z.array(flagEnum),
    })),
    totals: z.object({ activity: z.number(), co2Kg: z.number() }),
  })),
  sites: z.array(z.object({
    site: z.string(),
    buckets: z.array(z.object({
      ...bucketTimes, scope1Kg: z.number().nullable(), scope2Kg: z.number().nullable(), totalKg: z.number().nullable(),
      activity: z.array(z.object({ kind: z.string(), unit: z.string(), amount: z.number() })), flags: z.array(flagEnum),
    })),
    totals: z.object({ scope1Kg: z.number(), scope2Kg: z.number(), totalKg: z.number() }),
  })),
  totals: z.object({ scope1Kg: z.number(), scope2Kg: z.number(), totalKg: z.number(), totalTCO2: z.number() }),
});

const factorSetsResponse = z.object({
  default: z.string(),
  factorSets: z.array(z.object({
    id: z.string(), vintage: z.number(), title: z.string(), defaultGrid: z.string(),
    electricity: z.record(z.string(), z.object({ tCO2PerMWh: z.number(), description: z.string(), checked: z.boolean(), source: z.string() })),
    fuels: z.record(z.string(), z.object({
      name: z.string(), basisUnit: z.string(), ncvGJPerBasisUnit: z.number(), carbonTPerGJ: z.number(), oxidation: z.number(), tCO2PerBasisUnit: z.number(),
      density: z.object({ tPerM3: z.number(), checked: z.boolean(), source: z.string() }).optional(), checked: z.boolean(), source: z.string(),
    })),
  })),
});

/** Window for reading a dense series: whole minutes, so that the range gives at most half the raw limit. */
function fallbackWindowMs(spanMs: number): number {
  return Math.max(1, Math.ceil(spanMs / (RAW_POINT_LIMIT / 2) / 60_000)) * 60_000;
}

export const carbonRoutes: FastifyPluginAsync<{ store: TelemetryStore; carbon?: CarbonOptions }> = async (app, { store, carbon = {} }) => {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const sets = loadFactorSets([builtInFactorsDir(), ...(carbon.factorsDir ? [carbon.factorsDir] : [])]);
  const defaultSet = carbon.defaultFactorSet === undefined ? newestFactorSet(sets) : sets.get(carbon.defaultFactorSet);
  if (!defaultSet) throw new ConfigError(`carbon.defaultFactorSet: no factor set "${carbon.defaultFactorSet}" (known: ${[...sets.keys()].join(', ')})`);
  const sources = new CarbonSources(carbon.sourcesFile ? loadSourcesFile(carbon.sourcesFile) : undefined);
  sources.checkAgainst(defaultSet);

  /** Readings of every source field of the matching devices over [from, to) widened by the edge margin. */
  async function readSources(site: string | undefined, device: string | undefined, from: number, to: number): Promise<SourceReadings[]> {
    const fields = sources.fieldNames();
    const devices = new Map<string, { site: string; gateway: string; device: string; measurement: string; fields: Set<string> }>();
    for (const reading of await store.latest({ site, device, fields })) {
      if (!sources.sourceOf(reading)) continue;
      const id = [reading.site, reading.gateway, reading.device, reading.measurement].join('/');
      const entry = devices.get(id) ?? { site: reading.site, gateway: reading.gateway, device: reading.device, measurement: reading.measurement, fields: new Set<string>() };
      entry.fields.add(reading.field);
      devices.set(id, entry);
    }
    const readFrom = from - EDGE_MARGIN_MS;
    const readTo = to + EDGE_MARGIN_MS;
    const out: SourceReadings[] = [];
    for (const entry of devices.values()) {
      const filter = { site: entry.site, gateway: entry.gateway, device: entry.device, measurement: entry.measurement, fields: [...entry.fields].sort(), from: readFrom, to: readTo };
      let series: HistorySeries[] = await store.history({ ...filter, limit: RAW_POINT_LIMIT });
      let resolution = 'raw';
      if (series.some((s) => s.points.length >= RAW_POINT_LIMIT)) {
        // Too dense to read raw: the last reading of each window, dated at the window's end (≈ when it was read).
        const windowMs = fallbackWindowMs(readTo - readFrom);
        series = (await store.history({ ...filter, windowMs, aggregate: 'last', limit: RAW_POINT_LIMIT }))
          .map((s) => ({ ...s, points: s.points.map(([ts, v]): [number, number] => [ts + windowMs, v]) }));
        resolution = `${windowMs / 1000}s`;
      }
      for (const s of series) {
        const key = { measurement: s.measurement, site: s.site, gateway: s.gateway, device: s.device, profile: s.profile, field: s.field };
        const source = sources.sourceOf(key);
        if (source && s.points.length > 0) out.push({ key, source, points: s.points, resolution });
      }
    }
    const order = (r: SourceReadings) => [r.key.site, r.key.gateway, r.key.device, r.key.field, r.key.measurement, r.key.profile].join('\u0000');
    return out.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
  }

  api.get('/v1/carbon/factor-sets', {
    config: { permission: 'read' },
    schema: { summary: 'Emission factor sets: electricity by vintage and grid, fuels from NCV × carbon × oxidation × 44/12', tags: ['carbon'], response: { 200: factorSetsResponse } },
  }, async () => ({
    default: defaultSet.id,
    factorSets: [...sets.values()].sort((a, b) => a.vintage - b.vintage || a.id.localeCompare(b.id))
      .map(({ id, vintage, title, defaultGrid, electricity, fuels }) => ({ id, vintage, title, defaultGrid, electricity, fuels })),
  }));

  api.get('/v1/carbon/emissions', {
    config: { permission: 'read' },
    schema: {
      summary: 'CO2 emissions from energy and fuel meter counters, per device and site, by local day or month, scope 1 and 2',
      description: 'Activity is the increase of each counter (resets, wrap-around, gaps and implausible jumps handled and flagged per bucket), '
        + 'spread over buckets pro rata by time. Emissions = activity × the factor of the named factor set. '
        + 'format=csv (or Accept: text/csv) answers text/csv, one row per device and bucket. Method: docs/carbon.md.',
      tags: ['carbon'],
      produces: ['application/json', 'text/csv'],
      querystring: emissionsQuery,
      response: { 200: emissionsResponse },
    },
  }, async (request, reply) => {
    const q = request.query;
    const set = q.factorSet === undefined ? defaultSet : sets.get(q.factorSet);
    if (!set) throw new BadParameterError('factorSet', `unknown factor set "${q.factorSet}" (known: ${[...sets.keys()].join(', ')})`);
    const grid = q.grid ?? set.defaultGrid;
    const electricity = set.electricity[grid];
    if (!electricity) throw new BadParameterError('grid', `factor set ${set.id} has no "${grid}" electricity factor (it has ${Object.keys(set.electricity).join(', ')})`);

    const now = Date.now();
    const interval = q.interval;
    const to = q.to === undefined ? now : parseLocalTime(q.to, now);
    if (to === undefined) throw new BadParameterError('to', `cannot read "${q.to}" as a time (local date "2026-03-01", ISO 8601 with zone, epoch ms or "-1d")`);
    const from = q.from === undefined ? to - (interval === 'day' ? 30 * DAY_MS : 365 * DAY_MS) : parseLocalTime(q.from, now);
    if (from === undefined) throw new BadParameterError('from', `cannot read "${q.from}" as a time (local date "2026-03-01", ISO 8601 with zone, epoch ms or "-30d")`);
    if (from >= to) throw new BadParameterError('from', 'must be before "to"');
    const buckets = calendarBuckets(from, to, interval, OFFSET);
    if (buckets.length > MAX_BUCKETS[interval]) throw new BadParameterError('from', `the range holds ${buckets.length} ${interval}s; at most ${MAX_BUCKETS[interval]} per request (use interval=month for long ranges)`);
    const rangeFrom = buckets[0]!.start;
    const rangeTo = buckets.at(-1)!.end;

    const readings = await readSources(q.site, q.device, rangeFrom, rangeTo);
    let report;
    try {
      report = emissionsReport(readings, buckets, set, grid);
    } catch (err) {
      if (err instanceof MissingFactorError) throw new BadParameterError('factorSet', err.message);
      throw err;
    }

    const wantsCsv = q.format === 'csv' || (q.format === undefined && /\btext\/csv\b/i.test(request.headers.accept ?? ''));
    if (wantsCsv) {
      const name = `carbon-emissions_${q.site ?? 'all-sites'}${q.device ? `_${q.device}` : ''}_${buckets[0]!.label}_${buckets.at(-1)!.label}_${set.id}.csv`;
      // The untyped reply: the declared 200 schema is the JSON form.
      return (reply as FastifyReply)
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${name}"`)
        .send(emissionsCsv(report, set.id, grid, (ts) => formatLocal(ts)));
    }

    const times = (b: { start: number; end: number; label: string }) => ({ period: b.label, start: formatLocal(b.start), end: formatLocal(b.end) });
    return {
      from: formatLocal(rangeFrom), to: formatLocal(rangeTo), interval, utcOffset: formatUtcOffset(OFFSET),
      factorSet: { id: set.id, vintage: set.vintage, title: set.title, grid, electricityTCO2PerMWh: electricity.tCO2PerMWh, checked: electricity.checked },
      rounding: ROUNDING_RULE,
      sources: report.sources.map((s) => ({
        site: s.site, gateway: s.gateway, device: s.device, profile: s.profile, measurement: s.measurement, field: s.field,
        kind: s.kind, unit: s.unit, scope: s.scope, resolution: s.resolution,
        factor: { ...s.factor, unit: `kgCO2/${s.unit}` },
        buckets: s.buckets.map((b) => ({ ...times(b), activity: b.activity, co2Kg: b.co2Kg, coverage: b.coverage, excludedActivity: b.excludedActivity, flags: b.flags })),
        totals: s.totals,
      })),
      sites: report.sites.map((site) => ({
        site: site.site,
        buckets: site.buckets.map((b) => ({ ...times(b), scope1Kg: b.scope1Kg, scope2Kg: b.scope2Kg, totalKg: b.totalKg, activity: b.activity, flags: b.flags })),
        totals: site.totals,
      })),
      totals: report.totals,
    };
  });
};
