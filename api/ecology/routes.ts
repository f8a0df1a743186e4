// Ecology routes: the AQI of a site (hourly and daily, HJ 633-2012 or HJ 633-2026) and the
// summary of its water-level, soil-moisture and dose-rate devices against their baselines.
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { TelemetryStore } from '../../store/types.js';
import { BadParameterError, idParam, parseTime } from '../params.js';
import { NO_BASELINES, type Baselines } from './baselines.js';
import { queryAqi } from './aqi-query.js';
import { querySummary } from './summary-query.js';
import { DEFAULT_STANDARD, POLLUTANT_IDS, STANDARD_IDS, STATISTICS } from './standards.js';

export interface EcologyRoutesOptions {
  store: TelemetryStore;
  baselines?: Baselines;
  /** For tests; default Date.now. */
  clock?: () => number;
}

/** How far ahead of the server's clock `at` may be (gateway clocks drift a little). */
const MAX_FUTURE_MS = 5 * 60_000;

const atParam = z.string().optional().describe('the time to report for: ISO 8601 with zone, epoch ms, "now" or relative like "-6h"; default now');

function parseAt(text: string | undefined, now: number): number {
  if (text === undefined) return now;
  const at = parseTime(text, now);
  if (at === undefined) throw new BadParameterError('at', `cannot read "${text}" as a time (ISO 8601 with zone, epoch ms, "now" or "-6h")`);
  if (at > now + MAX_FUTURE_MS) throw new BadParameterError('at', 'is in the future');
  return at;
}

const bilingual = z.object({ zh: z.string(), en: z.string() });
const pollutant = z.enum(POLLUTANT_IDS);
const pollutantRef = z.object({ indicator: z.string(), pollutant, symbol: z.string(), iaqi: z.number() });
const coverage = z.object({ sufficient: z.boolean(), have: z.number(), need: z.number(), of: z.number(), unit: z.string() });
const indicator = z.object({
  id: z.string(), pollutant, symbol: z.string(), statistic: z.enum(STATISTICS), inAqi: z.boolean(), column: z.string(), unit: z.string(),
  concentration: z.number().nullable(), unrounded: z.number().nullable(), iaqi: z.number().int().nullable(),
  iaqiFrom: z.string().optional(), beyondScale: z.boolean().optional(), coverage, reason: z.string().optional(), notes: z.array(z.string()),
});
const report = z.object({
  period: z.object({ from: z.string(), to: z.string(), label: z.string() }),
  aqi: z.number().int().nullable(), level: z.number().int().min(1).max(6).nullable(), category: bilingual.nullable(),
  colour: z.object({ zh: z.string(), en: z.string(), rgb: z.tuple([z.number(), z.number(), z.number()]), hex: z.string() }).nullable(),
  primaryPollutants: z.array(pollutantRef), exceedancePollutants: z.array(pollutantRef),
  complete: z.boolean(), unavailable: z.array(z.object({ indicator: z.string(), reason: z.string() })), note: z.string().nullable(),
  indicators: z.array(indicator), source: z.string(),
});
const aqiResponse = z.object({
  site: z.string(), at: z.string(),
  standard: z.object({ id: z.enum(STANDARD_IDS), title: bilingual, companionStandard: z.string(), sources: z.array(z.string()), caveats: z.array(z.string()) }),
  sources: z.array(z.object({ pollutant, measurement: z.string(), gateway: z.string(), device: z.string(), profile: z.string(), field: z.string() })),
  missingPollutants: z.array(pollutant),
  hourly: report, daily: report,
  validity: z.object({ timeZone: z.string(), rules: z.record(z.string(), z.string()), sources: z.array(z.string()), caveats: z.array(z.string()), rounding: z.string() }),
});

const deviation = z.object({ absolute: z.number(), percent: z.number().nullable() }).nullable();
const summaryResponse = z.object({
  site: z.string(), at: z.string(), window: z.object({ from: z.string(), to: z.string() }), baselinesFile: z.string().nullable(),
  quantities: z.array(z.object({ measurement: z.string(), field: z.string(), unit: z.string(), name: bilingual, note: z.string().optional() })),
  devices: z.array(z.object({
    gateway: z.string(), device: z.string(), profile: z.string(), measurement: z.string(), field: z.string(), quantity: bilingual, unit: z.string(),
    latest: z.object({ value: z.number(), ts: z.number(), time: z.string(), ageSeconds: z.number() }).nullable(),
    last24h: z.object({ from: z.string(), to: z.string(), min: z.number(), mean: z.number(), max: z.number(), minutesWithData: z.number(), minutes: z.number() }).nullable(),
    baseline: z.object({
      value: z.number(), unit: z.string(), valueInReadingUnit: z.number().nullable(), source: z.string(), note: z.string().nullable(),
      appliesTo: z.object({ site: z.string(), gateway: z.string().nullable(), device: z.string().nullable() }),
    }).nullable(),
    deviation: z.object({ latest: deviation, mean24h: deviation }).nullable(),
    notes: z.array(z.string()),
  })),
  note: z.string().nullable(),
});

export const ecologyRoutes: FastifyPluginAsync<EcologyRoutesOptions> = async (app, { store, baselines = NO_BASELINES, clock = Date.now }) => {
  const api = app.withTypeProvider<ZodTypeProvider>();

  api.get('/v1/ecology/aqi', {
    config: { permission: 'read' },
    schema: {
      summary: 'Air quality index of a site: hourly (real-time) and daily reports under HJ 633-2012 or HJ 633-2026',
      description: 'Per indicator: concentration, data coverage against the validity rules, IAQI; then AQI, level, category, colour, '
        + 'primary pollutants (AQI > 50) and exceedance pollutants (IAQI > 100). An indicator without enough data has no IAQI and says why. See docs/ecology.md.',
      tags: ['ecology'],
      querystring: z.strictObject({
        site: idParam.describe('the site (monitoring point)'),
        gateway: idParam.optional().describe('only readings through this gateway'),
        device: idParam.optional().describe('only readings of this device'),
        at: atParam,
        standard: z.enum(STANDARD_IDS).default(DEFAULT_STANDARD).describe(`breakpoint tables to use; default ${DEFAULT_STANDARD}`),
      }),
      response: { 200: aqiResponse },
    },
  }, async (request) => {
    const { at: atText, ...query } = request.query;
    return queryAqi(store, { ...query, at: parseAt(atText, clock()) });
  });

  api.get('/v1/ecology/summary', {
    config: { permission: 'read' },
    schema: {
      summary: 'Water level, soil moisture and dose rate of a site: latest, 24-hour min/mean/max, deviation from the configured baseline',
      tags: ['ecology'],
      querystring: z.strictObject({
        site: idParam.describe('the site'),
        gateway: idParam.optional().describe('only devices behind this gateway'),
        device: idParam.optional().describe('only this device'),
        at: atParam,
      }),
      response: { 200: summaryResponse },
    },
  }, async (request) => {
    const { at: atText, ...query } = request.query;
    return querySummary(store, baselines, { ...query, at: parseAt(atText, clock()) });
  });
};
