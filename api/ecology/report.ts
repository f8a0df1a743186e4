// The hourly (实时报) and daily (日报) AQI reports of one site from its hourly values:
// each indicator's statistic, whether enough data stood behind it (validity rules), its
// rounded concentration, its IAQI (with the standard's footnotes), and the AQI with its
// level, category, colour, primary and exceedance pollutants. Pure: no store, no clock.
import { combine, hexColour, iaqi, levelOf, roundConcentration } from './aqi.js';
import { HOUR_MS, dailyMax1h, dailyMax8h, hourStat, movingMean, type HourTable, type StatValue } from './averaging.js';
import {
  POLLUTANT_IDS, type AqiStandard, type CoverageRule, type PollutantId, type PollutantTable, type ReportIndicator, type Statistic, type ValidityRules,
} from './standards.js';

export interface ReportTimes {
  /** End of the hour of the hourly report: the last full hour at or before `at`. */
  hourEnd: number;
  /** The natural day (in the standard's zone) of the daily report: the last one complete at `at`. */
  dayStart: number;
  dayEnd: number;
}

/** Which hour and which day a request at `at` reports on. */
export function reportTimes(at: number, utcOffsetHours: number): ReportTimes {
  const hourEnd = Math.floor(at / HOUR_MS) * HOUR_MS;
  const offset = utcOffsetHours * HOUR_MS;
  const dayEnd = Math.floor((at + offset) / (24 * HOUR_MS)) * 24 * HOUR_MS - offset;
  return { hourEnd, dayStart: dayEnd - 24 * HOUR_MS, dayEnd };
}

/** "2026-01-15T14:00:00+08:00": a time as the people of the standard's zone read it. */
export function localTime(ms: number, utcOffsetHours: number): string {
  const shifted = new Date(ms + utcOffsetHours * HOUR_MS).toISOString().slice(0, 19);
  const sign = utcOffsetHours < 0 ? '-' : '+';
  return `${shifted}${sign}${String(Math.abs(utcOffsetHours)).padStart(2, '0')}:00`;
}

export interface Coverage {
  sufficient: boolean;
  have: number;
  need: number;
  of: number;
  unit: string;
}

export interface PollutantRef {
  indicator: string;
  pollutant: PollutantId;
  symbol: string;
  iaqi: number;
}

export interface IndicatorResult {
  id: string;
  pollutant: PollutantId;
  symbol: string;
  statistic: Statistic;
  /** Whether its IAQI enters the AQI (some indicators are reported beside it). */
  inAqi: boolean;
  /** The breakpoint column it is rated on. */
  column: string;
  unit: string;
  /** Rounded as the standard's data rules ask; null when the data were not enough. */
  concentration: number | null;
  unrounded: number | null;
  iaqi: number | null;
  /** When a footnote replaced this IAQI by another indicator's: that indicator. */
  iaqiFrom?: string;
  /** Above the column's top breakpoint: the IAQI is the top of the scale. */
  beyondScale?: boolean;
  coverage: Coverage;
  /** Why there is no IAQI. */
  reason?: string;
  notes: string[];
}

export interface AqiReport {
  period: { from: string; to: string; label: string };
  aqi: number | null;
  level: number | null;
  category: { zh: string; en: string } | null;
  colour: { zh: string; en: string; rgb: [number, number, number]; hex: string } | null;
  primaryPollutants: PollutantRef[];
  exceedancePollutants: PollutantRef[];
  /** Every AQI indicator of all six pollutants had enough data. */
  complete: boolean;
  /** AQI indicators of measured pollutants without an IAQI, and why. */
  unavailable: Array<{ indicator: string; reason: string }>;
  /** What the AQI means here when it is not complete, or why there is none. */
  note: string | null;
  indicators: IndicatorResult[];
  source: string;
}

export interface ReportInput {
  standard: AqiStandard;
  validity: ValidityRules;
  pollutants: PollutantTable;
  /** Hourly values of each pollutant that had readings; absent pollutants are "missing". */
  hours: Partial<Record<PollutantId, HourTable>>;
  times: ReportTimes;
}

function statistic(kind: Statistic, table: HourTable, times: ReportTimes, rules: ValidityRules['rules']): StatValue {
  const minMinutes = rules.hour.need;
  switch (kind) {
    case 'hour': return hourStat(table, times.hourEnd);
    case 'moving8h': return movingMean(table, times.hourEnd, 8, minMinutes);
    case 'moving24h': return movingMean(table, times.hourEnd, 24, minMinutes);
    case 'day': return movingMean(table, times.dayEnd, 24, minMinutes);
    case 'dailyMax1h': return dailyMax1h(table, times.dayStart, minMinutes);
    case 'dailyMax8h': return dailyMax8h(table, times.dayStart, minMinutes, rules.moving8h.need);
  }
}

const WHAT: Record<Statistic, string> = {
  hour: 'an hourly mean',
  moving8h: 'an 8-hour moving mean',
  moving24h: 'a 24-hour moving mean',
  day: 'a daily (24-hour) mean',
  dailyMax1h: 'a daily maximum 1-hour value',
  dailyMax8h: 'a daily maximum 8-hour mean',
};

function rateIndicator(indicator: ReportIndicator, table: HourTable, input: ReportInput): IndicatorResult {
  const { standard, validity, pollutants, times } = input;
  const info = pollutants.pollutants[indicator.pollutant];
  const column = standard.columns[indicator.column]!;
  const rule: CoverageRule = validity.rules[indicator.statistic];
  const stat = statistic(indicator.statistic, table, times, validity.rules);
  const rounded = stat.value === null ? null : roundConcentration(stat.value, info.decimals);
  // The concentration at IAQI 100 is the standard's (grade 2) limit.
  const limit = column.breakpoints[standard.iaqiScale.indexOf(100)] ?? Number.POSITIVE_INFINITY;
  const enough = stat.have >= rule.need;
  const standsAboveLimit = !enough && rule.validIfAboveLimit === true && rounded !== null && rounded > limit;
  const coverage: Coverage = { sufficient: enough || standsAboveLimit, have: stat.have, need: rule.need, of: rule.of, unit: rule.unit };
  const notes = indicator.note ? [indicator.note] : [];
  const base = {
    id: indicator.id, pollutant: indicator.pollutant, symbol: info.symbol, statistic: indicator.statistic, inAqi: indicator.inAqi,
    column: indicator.column, unit: info.unit, coverage, notes,
  };
  if (!coverage.sufficient) {
    return {
      ...base, concentration: null, unrounded: null, iaqi: null,
      reason: `insufficient data: ${stat.have} of ${rule.of} ${rule.unit}; ${WHAT[indicator.statistic]} needs at least ${rule.need}`,
    };
  }
  if (standsAboveLimit) {
    notes.push(`only ${stat.have} of ${rule.of} ${rule.unit} (fewer than ${rule.need}), but the maximum already exceeds the limit ${limit} ${info.unit}, so it stands: more data could only raise it`);
  }
  const outcome = iaqi(standard.iaqiScale, column, rounded!);
  if (outcome.kind === 'substitute') {
    // Resolved once every indicator of the report is rated (resolveFootnotes).
    return { ...base, concentration: rounded, unrounded: stat.value, iaqi: null, iaqiFrom: outcome.use, notes: [...notes, outcome.footnote] };
  }
  if (outcome.beyondScale) notes.push(`above the top of the ${indicator.column} column: reported as ${outcome.iaqi}, the top of the scale`);
  return { ...base, concentration: rounded, unrounded: stat.value, iaqi: outcome.iaqi, ...(outcome.beyondScale ? { beyondScale: true } : {}) };
}

/** A footnote says "use that column's IAQI": take it from the indicator of this report rated on it. */
function resolveFootnotes(results: IndicatorResult[]): void {
  for (const result of results) {
    if (result.iaqi !== null || result.iaqiFrom === undefined || result.concentration === null) continue;
    const column = result.iaqiFrom;
    const donor = results.find((other) => other.column === column && other !== result);
    if (donor && donor.iaqi !== null) {
      result.iaqi = donor.iaqi;
      result.iaqiFrom = donor.id;
    } else {
      result.iaqiFrom = donor?.id ?? column;
      result.reason = `the standard replaces this IAQI by that of ${donor?.id ?? column}, which is not available${donor?.reason ? ` (${donor.reason})` : ''}`;
    }
  }
}

function buildReport(kind: 'hourly' | 'daily', input: ReportInput, period: AqiReport['period']): AqiReport {
  const { standard } = input;
  const definition = standard.reports[kind];
  const results: IndicatorResult[] = [];
  for (const indicator of definition.indicators) {
    const table = input.hours[indicator.pollutant];
    if (table) results.push(rateIndicator(indicator, table, input));
  }
  resolveFootnotes(results);
  const verdict = combine(results);
  const byId = new Map(results.map((r) => [r.id, r]));
  const ref = (id: string): PollutantRef => {
    const r = byId.get(id)!;
    return { indicator: id, pollutant: r.pollutant, symbol: r.symbol, iaqi: r.iaqi! };
  };
  const aqiIndicators = definition.indicators.filter((i) => i.inAqi);
  const rated = results.filter((r) => r.inAqi && r.iaqi !== null);
  const unavailable = results.filter((r) => r.inAqi && r.iaqi === null).map((r) => ({ indicator: r.id, reason: r.reason ?? 'no IAQI' }));
  const missing = POLLUTANT_IDS.filter((p) => !input.hours[p]);
  const complete = rated.length === aqiIndicators.length;
  let note: string | null = null;
  if (verdict.aqi === null) {
    note = rated.length === 0 && results.length === 0
      ? 'no AQI: none of the six pollutants was measured at this site in the period'
      : 'no AQI: no indicator had enough data (see unavailable)';
  } else if (!complete) {
    const lacking = [...missing.map((p) => `${input.pollutants.pollutants[p].symbol} (no readings)`), ...unavailable.map((u) => `${u.indicator} (insufficient data)`)];
    note = `AQI over ${rated.length} of ${aqiIndicators.length} indicators; without ${lacking.join(', ')}. The AQI is the largest IAQI, so this is a lower bound of the full AQI.`;
  }
  const level = verdict.aqi === null ? null : levelOf(standard.levels, verdict.aqi);
  return {
    period,
    aqi: verdict.aqi,
    level: level?.level ?? null,
    category: level ? { ...level.category } : null,
    colour: level ? { zh: level.colour.zh, en: level.colour.en, rgb: [...level.colour.rgb], hex: hexColour(level.colour.rgb) } : null,
    primaryPollutants: verdict.primary.map(ref),
    exceedancePollutants: verdict.exceedance.map(ref),
    complete,
    unavailable,
    note,
    indicators: results,
    source: definition.source,
  };
}

export function buildReports(input: ReportInput): { hourly: AqiReport; daily: AqiReport } {
  const { times } = input;
  const offset = input.validity.dayBoundary.utcOffsetHours;
  return {
    hourly: buildReport('hourly', input, {
      from: new Date(times.hourEnd - HOUR_MS).toISOString(), to: new Date(times.hourEnd).toISOString(),
      label: `hour ending ${localTime(times.hourEnd, offset)}`,
    }),
    daily: buildReport('daily', input, {
      from: new Date(times.dayStart).toISOString(), to: new Date(times.dayEnd).toISOString(),
      label: `day ${localTime(times.dayStart, offset).slice(0, 10)} (UTC${offset < 0 ? '-' : '+'}${Math.abs(offset)})`,
    }),
  };
}
