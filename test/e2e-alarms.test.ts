// The emergency scenario from end to end, driven by the simulators, every part real: at
// Jiejinkou (a village node on the Amur) an ice jam backs the river up past its warning level,
// then its guarantee level, while a gas detector at the same node reads 25 then 50 %LEL. The
// Modbus simulators serve those values; the gateway polls them; ingest raises the alarms; the
// API streams them on /v1/live; the duty officer acknowledges them; they clear when the values
// fall back; and the cameras of the site photograph what the sensors saw.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../lib/wait.js';
import type { Alarm } from '../protocol/index.js';
import { getJson, startTestSystem } from './harness/system.js';
import { SseStream } from './harness/sse.js';

const SITE = 'jiejinkou';
const GW = 'gw-01';
const RULES = `
version: 1
profileHints: false
flap: false
rules:
  - id: water-level
    kind: threshold
    profile: hlk-ld8001h
    field: water_level
    unit: m
    labels: { high: warning level, highHigh: guarantee level }
    severities: { high: major, highHigh: critical }
    deadband: 0.05
    sites:
      jiejinkou: { high: 5.80, highHigh: 6.90 }
  - id: gas-lel
    kind: threshold
    profile: generic-lel-gas-detector
    field: concentration
    labels: { high: first-level gas alarm, highHigh: second-level gas alarm }
    severities: { high: major, highHigh: critical }
    high: 25
    highHigh: 50
    deadband: 2
`;

interface SnapshotEntry { trigger: string; alarmId?: string }

describe('emergency scenario: an ice-jam flood and a gas leak at a village node', () => {
  let system: Awaited<ReturnType<typeof startTestSystem>>;
  let live: SseStream;
  const simulator = (device: string) => system.sites[0]!.simulators.get(device)!;
  const alarmsOf = (device: string) => live.data<Alarm>('alarm').filter((a) => a.device === device);
  /** The stream's alarm events of a device, reduced to what staff read: state and level. */
  const story = (device: string) => alarmsOf(device).map((a) => `${a.state} ${a.severity} ${a.level ?? ''}`.trim());

  beforeAll(async () => {
    system = await startTestSystem((dir) => ({ kind: 'sqlite', path: `${dir}/shaobing.db` }), [{
      site: SITE, gateway: GW,
      devices: [
        { id: 'level-1', profile: 'hlk-ld8001h', seed: 3, pollIntervalMs: 200 },
        { id: 'gas-1', profile: 'generic-lel-gas-detector', seed: 4, pollIntervalMs: 200 },
      ],
      cameras: [
        { id: 'cam-river', name: 'Jiejinkou River', linkedDevices: ['level-1'], snapshotIntervalMs: 0, healthIntervalMs: 2000 },
        { id: 'cam-yard', name: 'Jiejinkou Yard', snapshotIntervalMs: 0, healthIntervalMs: 2000 },
      ],
    }], { alarmRules: RULES });
    // Normal morning: the river at 4.20 m, clean air.
    simulator('level-1').setValue('water_level', 4200);
    simulator('gas-1').setValue('concentration', 0.5);
    live = await SseStream.open(`${system.apiUrl}/v1/live?types=alarms`);
    await waitFor(async () => (await getJson<{ cameras: Array<{ state: string }> }>(`${system.apiUrl}/v1/cameras?site=${SITE}`)).body.cameras
      .filter((c) => c.state === 'online').length === 2, { what: 'both cameras online', timeoutMs: 20_000 });
  });
  afterAll(async () => {
    live?.close();
    await system?.close();
  });

  const waitForStory = (device: string, length: number, what: string) =>
    live.waitForEvents(() => alarmsOf(device).length >= length, what, 15_000);

  it('raises the water and gas alarms in order, each on the live stream within 2 s of its reading reaching ingest', async () => {
    simulator('level-1').setValue('water_level', 6120); // above the warning level (5.80 m)
    await waitForStory('level-1', 1, 'the warning-level alarm');
    simulator('level-1').setValue('water_level', 7050); // above the guarantee level (6.90 m)
    await waitForStory('level-1', 2, 'the guarantee-level alarm');

    simulator('gas-1').setValue('concentration', 31.5); // ≥ 25 %LEL
    await waitForStory('gas-1', 1, 'the first-level gas alarm');
    simulator('gas-1').setValue('concentration', 56); // ≥ 50 %LEL
    await waitForStory('gas-1', 2, 'the second-level gas alarm');

    expect(story('level-1')).toEqual(['raised major warning level', 'raised critical guarantee level']);
    expect(story('gas-1')).toEqual(['raised major first-level gas alarm', 'raised critical second-level gas alarm']);
    // One alarm per device, escalated: the id stays.
    expect(new Set(alarmsOf('level-1').map((a) => a.id)).size).toBe(1);
    expect(alarmsOf('level-1')[1]).toMatchObject({ value: 7.05, threshold: 6.9, unit: 'm' });

    for (const event of live.events.filter((e) => e.event === 'alarm')) {
      const alarm = JSON.parse(event.data) as Alarm;
      expect(alarm.receivedAt, 'the alarm names when its reading reached ingest').toBeDefined();
      expect(event.receivedAt - alarm.receivedAt!).toBeLessThan(2000);
    }

    const active = (await getJson<{ alarms: Alarm[] }>(`${system.apiUrl}/v1/alarms?site=${SITE}`)).body.alarms;
    expect(active.map((a) => [a.device, a.severity, a.state]).sort()).toEqual([['gas-1', 'critical', 'raised'], ['level-1', 'critical', 'raised']]);
  });

  it('the cameras of the site photograph what the sensors saw', async () => {
    const alarmShots = async (camera: string) => (await getJson<{ snapshots: SnapshotEntry[] }>(
      `${system.apiUrl}/v1/cameras/${SITE}/${GW}/${camera}/snapshots?trigger=alarm&from=-10m`)).body.snapshots;
    const waterAlarm = alarmsOf('level-1')[0]!.id;
    const gasAlarm = alarmsOf('gas-1')[0]!.id;
    // The river camera is linked to the gauge; no camera is linked to the gas detector, so every camera of the site takes one.
    await waitFor(async () => {
      const river = (await alarmShots('cam-river')).map((s) => s.alarmId);
      const yard = (await alarmShots('cam-yard')).map((s) => s.alarmId);
      return river.includes(waterAlarm) && river.includes(gasAlarm) && yard.includes(gasAlarm);
    }, { what: 'alarm snapshots: river camera for both alarms, yard camera for the gas alarm', timeoutMs: 20_000 });
    expect((await alarmShots('cam-yard')).map((s) => s.alarmId)).not.toContain(waterAlarm);
  });

  it('the duty officer acknowledges both through the API, and they clear when the values fall back', async () => {
    for (const device of ['level-1', 'gas-1']) {
      const id = alarmsOf(device)[0]!.id;
      const response = await fetch(`${system.apiUrl}/v1/alarms/${encodeURIComponent(id)}/ack`, {
        method: 'POST',
        headers: { authorization: `Bearer ${system.apiTokens.emergency}`, 'content-type': 'application/json' },
        body: JSON.stringify({ note: device === 'gas-1' ? 'fire brigade called, area closed' : 'flood office informed; dike patrol out' }),
      });
      expect(response.status).toBe(200);
      expect(((await response.json()) as { alarm: Alarm }).alarm).toMatchObject({ state: 'acknowledged', by: 'system-emergency' });
      await waitForStory(device, 3, `the acknowledgement of ${device} on the stream`);
    }

    simulator('gas-1').setValue('concentration', 1); // ventilated
    simulator('level-1').setValue('water_level', 5200); // the jam broke: below the warning level
    await waitForStory('gas-1', 4, 'the gas alarm cleared');
    await waitForStory('level-1', 4, 'the water alarm cleared');
    expect(story('level-1')).toEqual(['raised major warning level', 'raised critical guarantee level', 'acknowledged critical guarantee level', expect.stringMatching(/^cleared /)]);
    expect(story('gas-1')).toEqual(['raised major first-level gas alarm', 'raised critical second-level gas alarm', 'acknowledged critical second-level gas alarm', expect.stringMatching(/^cleared /)]);
    expect((await getJson<{ alarms: Alarm[] }>(`${system.apiUrl}/v1/alarms?site=${SITE}`)).body.alarms).toEqual([]);
    const history = (await getJson<{ alarms: Array<Alarm & { ackedAt?: number; clearedAt?: number }> }>(`${system.apiUrl}/v1/alarms/history?site=${SITE}&from=-10m`)).body.alarms;
    expect(history.map((a) => [a.device, a.state, a.by]).sort()).toEqual([['gas-1', 'cleared', 'system-emergency'], ['level-1', 'cleared', 'system-emergency']]);
  });
});
