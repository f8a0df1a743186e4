// Reads the ecology summary of a site from the store: which water-level, soil-moisture and
// dose-rate series it has, their latest reading at or before `at`, and 1-minute min/mean/max
// windows of the 24 hours before `at`; summary.ts does the rest.
import type { HistorySeries, TelemetryStore } from '../../store/types.js';
import { findBaseline, type Baselines } from './baselines.js';
import { QUANTITIES, summarize, type LatestValue, type Quantity, type SummaryEntry } from './summary.js';

export interface SummaryQuery {
  site: string;
  gateway?: string;
  device?: string;
  at: number;
}

export interface SummaryResult {
  site: string;
  at: string;
  window: { from: string; to: string };
  baselinesFile: string | null;
  quantities: Quantity[];
  devices: SummaryEntry[];
  note: string | null;
}

const WINDOW_MS = 24 * 3_600_000;
const SLOT_MS = 60_000;

const seriesId = (s: { measurement: string; gateway: string; device: string; field: string }) => `${s.measurement}/${s.gateway}/${s.device}/${s.field}`;

export async function querySummary(store: TelemetryStore, baselines: Baselines, query: SummaryQuery, quantities: Quantity[] = QUANTITIES): Promise<SummaryResult> {
  const { site, gateway, device, at } = query;
  const quantityOf = (measurement: string, field: string) => quantities.find((q) => q.measurement === measurement && q.field === field);
  const fields = [...new Set(quantities.map((q) => q.field))];
  const filter = { site, gateway, device, fields };
  const from = at - WINDOW_MS;
  const windows = async (aggregate: 'mean' | 'min' | 'max' | 'last') =>
    new Map((await store.history({ ...filter, from, to: at, windowMs: SLOT_MS, aggregate })).map((s) => [seriesId(s), s] as const));
  const [latestAll, means, mins, maxes, lasts] = await Promise.all([store.latest(filter), windows('mean'), windows('min'), windows('max'), windows('last')]);

  // Every series ever seen at the site, so a device silent for days still shows (without 24 h figures).
  const keys = new Map<string, { measurement: string; gateway: string; device: string; profile: string; field: string }>();
  for (const s of [...latestAll, ...means.values()]) if (quantityOf(s.measurement, s.field)) keys.set(seriesId(s), s);

  const devices: SummaryEntry[] = [];
  for (const [id, key] of [...keys].sort((a, b) => a[0].localeCompare(b[0]))) {
    const quantity = quantityOf(key.measurement, key.field)!;
    const stored = latestAll.find((r) => seriesId(r) === id);
    let latest: LatestValue | undefined;
    if (stored && stored.ts < at) {
      latest = { ts: stored.ts, value: stored.value };
    } else {
      // `at` is in the past: the last sample before it, read raw from the last minute that has one.
      const lastWindow = lasts.get(id)?.points.at(-1);
      if (lastWindow) latest = await lastSampleBefore(store, { site, ...key }, lastWindow[0], at) ?? { ts: lastWindow[0], value: lastWindow[1] };
    }
    devices.push(summarize({
      quantity, series: { site, gateway: key.gateway, device: key.device, profile: key.profile }, latest, at, windowMs: WINDOW_MS,
      windows: { mean: means.get(id)?.points ?? [], min: mins.get(id)?.points ?? [], max: maxes.get(id)?.points ?? [] },
      baseline: findBaseline(baselines.entries, { site, gateway: key.gateway, device: key.device, field: key.field }),
    }));
  }
  return {
    site, at: new Date(at).toISOString(), window: { from: new Date(from).toISOString(), to: new Date(at).toISOString() },
    baselinesFile: baselines.file, quantities, devices,
    note: devices.length ? null : `no ${quantities.map((q) => q.name.en).join(', ')} readings at site ${site}${gateway || device ? ' with these filters' : ''}`,
  };
}

async function lastSampleBefore(store: TelemetryStore, key: { site: string; measurement: string; gateway: string; device: string; field: string }, from: number, to: number): Promise<LatestValue | undefined> {
  const [series]: HistorySeries[] = await store.history({ site: key.site, gateway: key.gateway, device: key.device, measurement: key.measurement, fields: [key.field], from, to: Math.min(to, from + SLOT_MS) });
  const point = series?.points.at(-1);
  return point ? { ts: point[0], value: point[1] } : undefined;
}
