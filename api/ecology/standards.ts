// The AQI standards (HJ 633-2012, HJ 633-2026), the data-validity rules and the pollutant
// table, read from the JSON files in ./data and checked here, so a wrong edit of a
// breakpoint table fails at start (and in the tests) instead of giving wrong AQIs.
// The numbers live in the data files, with their sources; this module holds no numbers.
import { z } from 'zod';
import hj633v2012 from './data/hj633-2012.json' with { type: 'json' };
import hj633v2026 from './data/hj633-2026.json' with { type: 'json' };
import validityData from './data/data-validity.json' with { type: 'json' };
import pollutantData from './data/pollutants.json' with { type: 'json' };

export const POLLUTANT_IDS = ['so2', 'no2', 'co', 'o3', 'pm10', 'pm25'] as const;
export type PollutantId = (typeof POLLUTANT_IDS)[number];

export const STATISTICS = ['hour', 'moving8h', 'moving24h', 'day', 'dailyMax1h', 'dailyMax8h'] as const;
export type Statistic = (typeof STATISTICS)[number];

export const STANDARD_IDS = ['HJ633-2012', 'HJ633-2026'] as const;
export type StandardId = (typeof STANDARD_IDS)[number];
/** The standard in force since 2026-03-01 (DOMAIN.md §1). */
export const DEFAULT_STANDARD: StandardId = 'HJ633-2026';

const text = z.string().min(1);
const bilingual = z.strictObject({ zh: text, en: text });
const pollutantId = z.enum(POLLUTANT_IDS);

const columnSchema = z.strictObject({
  pollutant: pollutantId,
  averaging: text,
  /** Concentration at each IAQI of the scale; null where the standard has none (a footnote applies). */
  breakpoints: z.array(z.number().nonnegative().nullable()),
  above: z.strictObject({ concentration: z.number().positive(), use: text, footnote: text }).optional(),
  changed: text.optional(),
});

const indicatorSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9_]+$/),
  pollutant: pollutantId,
  statistic: z.enum(STATISTICS),
  column: text,
  inAqi: z.boolean(),
  note: text.optional(),
});

const standardSchema = z.strictObject({
  id: z.enum(STANDARD_IDS),
  title: bilingual,
  companionStandard: text,
  sources: z.array(text).min(1),
  caveats: z.array(text),
  iaqiScale: z.array(z.number().int().nonnegative()).min(2),
  columns: z.record(z.string(), columnSchema),
  levels: z.array(z.strictObject({
    level: z.number().int().min(1),
    maxAqi: z.number().int().positive(),
    category: bilingual,
    colour: z.strictObject({ zh: text, en: text, rgb: z.tuple([z.number().int().min(0).max(255), z.number().int().min(0).max(255), z.number().int().min(0).max(255)]) }),
  })).min(1),
  reports: z.strictObject({
    hourly: z.strictObject({ source: text, indicators: z.array(indicatorSchema).min(1) }),
    daily: z.strictObject({ source: text, indicators: z.array(indicatorSchema).min(1) }),
  }),
}).superRefine((standard, ctx) => {
  const problem = (path: Array<string | number>, message: string) => ctx.addIssue({ code: 'custom', path, message });
  const scale = standard.iaqiScale;
  if (scale[0] !== 0 || scale.some((v, i) => i > 0 && v <= scale[i - 1]!)) problem(['iaqiScale'], 'must start at 0 and rise');
  for (const [id, column] of Object.entries(standard.columns)) {
    const bps = column.breakpoints;
    if (bps.length !== scale.length) { problem(['columns', id, 'breakpoints'], `needs ${scale.length} entries, one per IAQI of the scale`); continue; }
    const defined = bps.findIndex((bp) => bp === null);
    const top = defined === -1 ? bps.length - 1 : defined - 1;
    if (bps.slice(top + 1).some((bp) => bp !== null)) problem(['columns', id, 'breakpoints'], 'null only at the end');
    if (bps[0] !== 0) problem(['columns', id, 'breakpoints'], 'must start at 0');
    for (let i = 1; i <= top; i++) if (bps[i]! <= bps[i - 1]!) problem(['columns', id, 'breakpoints', i], 'breakpoints must rise');
    if (top < bps.length - 1 && !column.above) problem(['columns', id, 'above'], 'a column that stops short of the scale needs an "above" rule');
    if (column.above) {
      if (column.above.concentration !== bps[top]) problem(['columns', id, 'above', 'concentration'], `must be the last breakpoint (${bps[top]})`);
      const target = standard.columns[column.above.use];
      if (!target) problem(['columns', id, 'above', 'use'], `no column "${column.above.use}"`);
      else if (target.above || target.pollutant !== column.pollutant) problem(['columns', id, 'above', 'use'], 'must name a complete column of the same pollutant');
    }
  }
  standard.levels.forEach((level, i) => {
    if (level.level !== i + 1) problem(['levels', i, 'level'], `must be ${i + 1}`);
    if (i > 0 && level.maxAqi <= standard.levels[i - 1]!.maxAqi) problem(['levels', i, 'maxAqi'], 'must rise');
  });
  if (standard.levels.at(-1)!.maxAqi < scale.at(-1)!) problem(['levels'], `must reach the top of the scale (${scale.at(-1)})`);
  for (const kind of ['hourly', 'daily'] as const) {
    const ids = new Set<string>();
    standard.reports[kind].indicators.forEach((indicator, i) => {
      const column = standard.columns[indicator.column];
      if (!column) problem(['reports', kind, 'indicators', i, 'column'], `no column "${indicator.column}"`);
      else if (column.pollutant !== indicator.pollutant) problem(['reports', kind, 'indicators', i, 'column'], `is a column of ${column.pollutant}`);
      if (ids.has(indicator.id)) problem(['reports', kind, 'indicators', i, 'id'], 'used twice');
      ids.add(indicator.id);
    });
    // A footnote substitute must be computed in the same report.
    for (const indicator of standard.reports[kind].indicators) {
      const use = standard.columns[indicator.column]?.above?.use;
      if (use && !standard.reports[kind].indicators.some((other) => other.column === use)) {
        problem(['reports', kind], `indicator ${indicator.id} may need column "${use}", which no indicator of this report computes`);
      }
    }
  }
});

export type AqiStandard = z.infer<typeof standardSchema>;
export type BreakpointColumn = z.infer<typeof columnSchema>;
export type ReportIndicator = z.infer<typeof indicatorSchema>;
export type AqiLevel = AqiStandard['levels'][number];

const ruleSchema = z.strictObject({
  need: z.number().int().positive(),
  of: z.number().int().positive(),
  unit: text,
  slotMinutes: z.number().int().positive().optional(),
  validIfAboveLimit: z.boolean().optional(),
  source: text,
}).refine((rule) => rule.need <= rule.of, 'need must not exceed of');

const validitySchema = z.strictObject({
  sources: z.array(text).min(1),
  caveats: z.array(text),
  dayBoundary: z.strictObject({ utcOffsetHours: z.number().int().min(-12).max(14), source: text }),
  rules: z.strictObject({
    hour: ruleSchema, moving8h: ruleSchema, moving24h: ruleSchema, day: ruleSchema, dailyMax8h: ruleSchema, dailyMax1h: ruleSchema,
  }),
});
export type ValidityRules = z.infer<typeof validitySchema>;
export type CoverageRule = z.infer<typeof ruleSchema>;

const pollutantInfoSchema = z.strictObject({
  symbol: text,
  name: bilingual,
  unit: z.enum(['µg/m³', 'mg/m³']),
  decimals: z.number().int().min(0).max(3),
  fields: z.array(z.string().regex(/^[a-z][a-z0-9_]{0,63}$/)).min(1),
  note: text.optional(),
});
export type PollutantInfo = z.infer<typeof pollutantInfoSchema>;

// A record keyed by an enum must hold every key (zod 4): all six pollutants are described.
const pollutantTableSchema = z.strictObject({
  measurement: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/),
  measurementNote: text,
  roundingSource: text,
  pollutants: z.record(pollutantId, pollutantInfoSchema),
}).superRefine((table, ctx) => {
  const owner = new Map<string, string>();
  for (const [id, info] of Object.entries(table.pollutants)) {
    for (const field of info.fields) {
      if (owner.has(field)) ctx.addIssue({ code: 'custom', path: ['pollutants', id, 'fields'], message: `field "${field}" is already ${owner.get(field)}'s` });
      owner.set(field, id);
    }
  }
});
export type PollutantTable = z.infer<typeof pollutantTableSchema>;

function parseData<T>(schema: z.ZodType<T>, data: unknown, file: string): T {
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`api/ecology/data/${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

/** Checks a standard's data (exported for tests that feed broken tables). */
export function parseStandard(data: unknown, file = '(inline)'): AqiStandard {
  return parseData(standardSchema, data, file);
}

export const STANDARDS: Readonly<Record<StandardId, AqiStandard>> = {
  'HJ633-2012': parseStandard(hj633v2012, 'hj633-2012.json'),
  'HJ633-2026': parseStandard(hj633v2026, 'hj633-2026.json'),
};
for (const [id, standard] of Object.entries(STANDARDS)) {
  if (standard.id !== id) throw new Error(`api/ecology/data: the file for ${id} says it is ${standard.id}`);
}

export const VALIDITY: ValidityRules = parseData(validitySchema, validityData, 'data-validity.json');
export const POLLUTANTS: PollutantTable = parseData(pollutantTableSchema, pollutantData, 'pollutants.json');
