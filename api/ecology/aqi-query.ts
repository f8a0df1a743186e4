// Reads what the AQI of a site needs from the store — 1-minute means of the pollutant
// fields over the day of the daily report and the 24 hours before the hourly report — and
// hands them to the pure report builder. The only I/O of the AQI.
import type { TelemetryStore } from '../../store/types.js';
import { hourTable, mergeSeries, type HourTable } from './averaging.js';
import { buildReports, localTime, reportTimes, type AqiReport } from './report.js';
import { POLLUTANTS, POLLUTANT_IDS, STANDARDS, VALIDITY, type PollutantId, type StandardId } from './standards.js';

export interface AqiQuery {
  site: string;
  gateway?: string;
  device?: string;
  at: number;
  standard: StandardId;
}

export interface AqiSource { pollutant: PollutantId; measurement: string; gateway: string; device: string; profile: string; field: string }

export interface AqiResult {
  site: string;
  at: string;
  standard: { id: StandardId; title: { zh: string; en: string }; companionStandard: string; sources: string[]; caveats: string[] };
  /** The series each pollutant was read from (several devices of one pollutant are averaged per minute). */
  sources: AqiSource[];
  /** Pollutants without any reading at the site in the period: the AQI is over the others. */
  missingPollutants: PollutantId[];
  hourly: AqiReport;
  daily: AqiReport;
  validity: { timeZone: string; rules: Record<string, string>; sources: string[]; caveats: string[]; rounding: string };
}

export async function queryAqi(store: TelemetryStore, query: AqiQuery): Promise<AqiResult> {
  const standard = STANDARDS[query.standard];
  const offset = VALIDITY.dayBoundary.utcOffsetHours;
  const times = reportTimes(query.at, offset);
  const slotMinutes = VALIDITY.rules.hour.slotMinutes ?? 1;
  const fieldOwner = new Map<string, PollutantId>();
  for (const id of POLLUTANT_IDS) for (const field of POLLUTANTS.pollutants[id].fields) fieldOwner.set(field, id);

  // The hourly report looks back 24 hours from its hour; the daily report covers its day,
  // which ended at or before that hour: one query spans both (at most 48 hours).
  const from = Math.min(times.dayStart, times.hourEnd - 24 * 3_600_000);
  const series = await store.history({
    site: query.site, gateway: query.gateway, device: query.device, measurement: POLLUTANTS.measurement,
    fields: [...fieldOwner.keys()], from, to: times.hourEnd, windowMs: slotMinutes * 60_000, aggregate: 'mean',
  });

  const byPollutant = new Map<PollutantId, Array<Array<[number, number]>>>();
  const sources: AqiSource[] = [];
  for (const s of series) {
    const pollutant = fieldOwner.get(s.field);
    if (!pollutant || s.points.length === 0) continue;
    byPollutant.set(pollutant, [...(byPollutant.get(pollutant) ?? []), s.points]);
    sources.push({ pollutant, measurement: s.measurement, gateway: s.gateway, device: s.device, profile: s.profile, field: s.field });
  }
  const hours: Partial<Record<PollutantId, HourTable>> = {};
  for (const [pollutant, list] of byPollutant) hours[pollutant] = hourTable(mergeSeries(list), slotMinutes);

  const reports = buildReports({ standard, validity: VALIDITY, pollutants: POLLUTANTS, hours, times });
  return {
    site: query.site,
    at: new Date(query.at).toISOString(),
    standard: { id: standard.id, title: standard.title, companionStandard: standard.companionStandard, sources: standard.sources, caveats: standard.caveats },
    sources,
    missingPollutants: POLLUTANT_IDS.filter((p) => !hours[p]),
    ...reports,
    validity: {
      timeZone: `UTC+${offset} (${localTime(query.at, offset)}): ${VALIDITY.dayBoundary.source}`,
      rules: Object.fromEntries(Object.entries(VALIDITY.rules).map(([k, rule]) => [k, `${rule.need} of ${rule.of} ${rule.unit}: ${rule.source}`])),
      sources: VALIDITY.sources,
      caveats: VALIDITY.caveats,
      rounding: POLLUTANTS.roundingSource,
    },
  };
}
