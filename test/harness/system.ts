// Starts the whole system (cli/system.ts) for a test on a temp data dir, and reads
// back what reached the store, to compare with what the simulators served.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSystem, type RunningSystem, type SimulatedSiteSpec, type SystemOptions } from '../../cli/system.js';
import { silentLogger } from '../../lib/logger.js';
import type { HistorySeries, StoreConfig } from '../../store/index.js';

/** One site, two devices polled fast so tests collect samples quickly. */
export function fastSite(site = 'jiejinkou', pollIntervalMs = 200): SimulatedSiteSpec {
  return {
    site, gateway: 'gw-01', devices: [
      { id: 'th-1', profile: 'th-transmitter', seed: 7, pollIntervalMs },
      { id: 'pm-1', profile: 'pm-sensor', seed: 8, pollIntervalMs },
    ],
  };
}

export async function startTestSystem(
  store: StoreConfig | ((dir: string) => StoreConfig),
  sites = [fastSite()],
  options: Partial<Omit<SystemOptions, 'store' | 'dataDir' | 'sites'>> = {},
): Promise<RunningSystem & { dataDir: string }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-system-'));
  const system = await startSystem({ logger: silentLogger(), ...options, store: typeof store === 'function' ? store(dataDir) : store, dataDir, sites });
  const close = system.close;
  return Object.assign(system, {
    dataDir,
    close: async () => {
      await close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

export async function getJson<T = unknown>(url: string): Promise<{ status: number; body: T }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as T };
}

/** Raw history of every series of the site from the API. */
export async function historyFromApi(system: RunningSystem, site: string, from: number): Promise<HistorySeries[]> {
  const { status, body } = await getJson<{ series: HistorySeries[] }>(
    `${system.apiUrl}/v1/readings/history?site=${site}&from=${from}&to=${Date.now() + 60_000}`,
  );
  if (status !== 200) throw new Error(`history answered ${status}: ${JSON.stringify(body)}`);
  return body.series;
}

/** Distinct sample times per device in the store (all fields of a sample share its ts). */
export async function sampleTimesByDevice(system: RunningSystem, site: string, from: number): Promise<Map<string, number[]>> {
  const byDevice = new Map<string, Set<number>>();
  for (const series of await system.store.history({ site, from, to: Date.now() + 60_000 })) {
    const set = byDevice.get(series.device) ?? new Set<number>();
    for (const [ts] of series.points) set.add(ts);
    byDevice.set(series.device, set);
  }
  return new Map([...byDevice].map(([device, set]) => [device, [...set].sort((a, b) => a - b)]));
}

export async function storedSampleCount(system: RunningSystem, site: string, from: number): Promise<number> {
  let total = 0;
  for (const times of (await sampleTimesByDevice(system, site, from)).values()) total += times.length;
  return total;
}
