// Alarms through ingest, for real: a gateway client (its own account, real MQTT.js) publishes a
// retained status and water-level readings through the Aedes broker; ingest stores them,
// evaluates the rules file and stores, publishes (seen here by an api-account subscriber) and
// photographs (a capture command on the gateway's command topic) the alarm. The api account
// acknowledges it; the reading back to normal clears it. Device-offline events and the gateway's
// last will raise offline alarms. A bad rules file at reload keeps the rules in force, and an
// ingest restart does not raise an active alarm twice.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../lib/wait.js';
import { alarmSchema, commandSchema, filters, topics, type Alarm, type Command, type Status } from '../protocol/index.js';
import { AlarmStoreReader } from '../store/alarms/alarm-store.js';
import { waterLevelRules } from './harness/alarm-rules.js';
import { startTestSystem } from './harness/system.js';

const SITE = 'tongjiang-port';
const GW = 'gw-a';
const REF = { site: SITE, gateway: GW };
const DEVICE = 'level-1';

const rulesYaml = (high: number, highHigh: number) => waterLevelRules(high, highHigh, `  - id: device-offline
    kind: device-offline
  - id: gateway-offline
    kind: gateway-offline
`);

describe('alarms through ingest', () => {
  let system: Awaited<ReturnType<typeof startTestSystem>>;
  let rulesDir: string;
  let rulesFile: string;
  let gateway: MqttClient;
  let observer: MqttClient;
  let gatewayLogin: { username: string; password: string };
  const seen: Alarm[] = [];
  const commands: Command[] = [];
  let seq = 0;

  const connectGateway = async () => {
    const client = await mqtt.connectAsync(system.brokerUrl, {
      ...gatewayLogin, clientId: `${SITE}.${GW}`, reconnectPeriod: 0, clean: true,
      will: { topic: topics.status(REF), payload: Buffer.from(JSON.stringify({ v: 1, state: 'offline', reason: 'connection lost' })), qos: 1, retain: true },
    });
    await client.subscribeAsync(topics.command(REF), { qos: 1 });
    client.on('message', (_topic, payload) => commands.push(commandSchema.parse(JSON.parse(payload.toString('utf8')))));
    const status: Status = { v: 1, state: 'online', ts: Date.now(), devices: { [DEVICE]: { online: true } } };
    await client.publishAsync(topics.status(REF), JSON.stringify(status), { qos: 1, retain: true });
    return client;
  };
  /** One reading of the level gauge, in mm as the profile has it. */
  const publishLevel = (mm: number) => gateway.publishAsync(topics.telemetry(REF, DEVICE), JSON.stringify({
    v: 1, measurement: 'water', profile: 'hlk-ld8001h', samples: [{ ts: Date.now(), seq: ++seq, values: { water_level: mm } }],
  }), { qos: 1 });
  const publishEvent = (type: string) => gateway.publishAsync(topics.event(REF, DEVICE), JSON.stringify({ v: 1, ts: Date.now(), type, message: `${DEVICE} ${type}` }), { qos: 1 });
  const seenAlarm = (what: string, match: (a: Alarm) => boolean, after = 0) =>
    waitFor(() => seen.slice(after).find(match), { what });
  const metrics = async () => (await fetch(`${system.apiUrl}/metrics`)).text();

  beforeAll(async () => {
    rulesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-alarm-rules-'));
    rulesFile = path.join(rulesDir, 'alarm-rules.yaml');
    fs.writeFileSync(rulesFile, rulesYaml(3, 3.5));
    system = await startTestSystem((dir) => ({ kind: 'sqlite', path: `${dir}/shaobing.db` }), [], { alarmRulesFile: rulesFile });
    gatewayLogin = await system.addGatewayAccount(SITE, GW);
    observer = await mqtt.connectAsync(system.brokerUrl, { ...system.serviceLogin, clientId: 'alarm-observer', reconnectPeriod: 0, clean: true });
    observer.on('message', (_topic, payload) => seen.push(alarmSchema.parse(JSON.parse(payload.toString('utf8')))));
    await observer.subscribeAsync(filters.allAlarms, { qos: 1 });
    gateway = await connectGateway();
  });
  afterAll(async () => {
    await gateway?.endAsync(true);
    await observer?.endAsync(true);
    await system?.close();
    fs.rmSync(rulesDir, { recursive: true, force: true });
  });

  let raised: Alarm;

  it('raises a threshold alarm: stored, published on the alarm topic, and a capture command to the gateway', async () => {
    await publishLevel(2500);
    await publishLevel(3200);
    raised = await seenAlarm('the water-level alarm', (a) => a.rule === 'water-level' && a.state === 'raised');
    expect(raised).toEqual(expect.objectContaining({
      site: SITE, gateway: GW, device: DEVICE, rule: 'water-level', kind: 'threshold', field: 'water_level', severity: 'major',
      level: 'warning level', state: 'raised', value: expect.closeTo(3.2, 6), threshold: 3, unit: 'm', receivedAt: expect.any(Number),
    }));
    expect(seen.filter((a) => a.rule === 'water-level')).toHaveLength(1); // the normal reading raised nothing
    expect(system.alarmStore.get(raised.id)).toEqual({ ...raised, raisedAt: raised.ts, updatedAt: raised.ts });

    const capture = await waitFor(() => commands.find((c) => c.type === 'capture' && c.alarmId === raised.id), { what: 'the capture command' });
    expect(capture).toEqual({ v: 1, id: expect.any(String), ts: expect.any(Number), type: 'capture', device: DEVICE, alarmId: raised.id, reason: raised.message });

    // The API's reader, read-only on the same file.
    const reader = new AlarmStoreReader(system.alarmStore.file);
    try {
      expect(reader.active({ site: SITE }).map((a) => [a.id, a.state])).toEqual([[raised.id, 'raised']]);
    } finally {
      reader.close();
    }
    const text = await metrics();
    expect(text).toMatch(/^shaobing_alarms_raised_total\{severity="major"\} 1$/m);
    expect(text).toMatch(/^shaobing_alarms_active\{severity="major"\} 1$/m);
    expect(text).toMatch(/^shaobing_alarm_capture_commands_total 1$/m);
    await waitFor(async () => /^shaobing_alarm_evaluation_seconds_count 1$/m.test(await metrics()), { what: 'the evaluation latency observed' });
    // Reading received → alarm stored and published: well inside the 2 s budget.
    expect(Number(/^shaobing_alarm_evaluation_seconds_sum (\S+)$/m.exec(await metrics())![1])).toBeLessThan(2);
  });

  it('records an acknowledgement the api publishes, without publishing it again', async () => {
    const api = await mqtt.connectAsync(system.brokerUrl, { ...system.serviceLogin, clientId: 'alarm-acker', reconnectPeriod: 0, clean: true });
    try {
      const ackTs = Date.now();
      await api.publishAsync(topics.alarm(SITE, DEVICE), JSON.stringify({ ...raised, state: 'acknowledged', ts: ackTs, by: 'duty-officer', note: 'crew sent to the pier' }), { qos: 1 });
      await waitFor(() => system.alarmStore.get(raised.id)?.state === 'acknowledged', { what: 'the acknowledgement stored' });
      expect(system.alarmStore.get(raised.id)).toEqual(expect.objectContaining({ state: 'acknowledged', by: 'duty-officer', note: 'crew sent to the pier', ackedAt: ackTs }));
      expect(system.alarmStore.changes(raised.id).map((c) => c.state)).toEqual(['raised', 'acknowledged']);
      expect(system.alarms.stats()).toEqual(expect.objectContaining({ acknowledged: 1 }));
      // An acknowledgement of an alarm nobody knows is counted, not stored.
      await api.publishAsync(topics.alarm(SITE, DEVICE), JSON.stringify({ ...raised, id: 'no-such-alarm', state: 'acknowledged', ts: ackTs, by: 'li' }), { qos: 1 });
      await waitFor(async () => /^shaobing_alarm_acks_refused_total\{reason="unknown"\} 1$/m.test(await metrics()), { what: 'the unknown acknowledgement refused' });
      expect(system.alarmStore.get('no-such-alarm')).toBeUndefined();
    } finally {
      await api.endAsync(true);
    }
    await waitFor(() => seen.filter((a) => a.state === 'acknowledged').length === 2, { what: 'both acknowledgements seen by subscribers' });
  });

  it('clears the alarm when the reading is back to normal', async () => {
    const before = seen.length;
    await publishLevel(2800);
    const cleared = await seenAlarm('the alarm cleared', (a) => a.id === raised.id && a.state === 'cleared', before);
    expect(cleared).toEqual(expect.objectContaining({ value: expect.closeTo(2.8, 6), by: 'duty-officer' }));
    const stored = system.alarmStore.get(raised.id)!;
    expect(stored).toEqual(expect.objectContaining({ state: 'cleared', raisedAt: raised.ts, clearedAt: cleared.ts, ackedAt: expect.any(Number) }));
    expect(system.alarmStore.active({ site: SITE })).toEqual([]);
    expect(system.alarmStore.changes(raised.id).map((c) => c.state)).toEqual(['raised', 'acknowledged', 'cleared']);
    // Ingest publishes in order on one connection: had it re-published the acknowledgement, it would be here by now.
    expect(seen.filter((a) => a.state === 'acknowledged')).toHaveLength(2);
  });

  it('raises a device-offline alarm from the gateway event and clears it when the device answers again', async () => {
    const before = seen.length;
    const capturesBefore = commands.length;
    await publishEvent('device-offline');
    const offline = await seenAlarm('the device-offline alarm', (a) => a.rule === 'device-offline' && a.state === 'raised', before);
    expect(offline).toEqual(expect.objectContaining({ site: SITE, gateway: GW, device: DEVICE, kind: 'device-offline', severity: 'warning' }));
    expect(system.alarmStore.get(offline.id)?.state).toBe('raised');
    await publishEvent('device-online');
    await seenAlarm('the device-offline alarm cleared', (a) => a.id === offline.id && a.state === 'cleared', before);
    await waitFor(() => commands.length > capturesBefore, { what: 'a capture for the device-offline alarm' });
  });

  it('keeps the rules in force when the rules file turns bad, counting and naming the error; takes a good file again', async () => {
    // Guarantee level below warning level: refused as a whole.
    fs.writeFileSync(rulesFile, rulesYaml(3.6, 3.4));
    await waitFor(() => system.alarms.stats().ruleLoadErrors === 1, { what: 'the bad rules file refused' });
    expect(system.alarms.stats().ruleError).toMatch(/water-level.*warning level 3\.6 is above guarantee level 3\.4/);
    expect(await metrics()).toMatch(/^shaobing_alarm_rule_load_errors_total 1$/m);

    const before = seen.length;
    await publishLevel(3300); // above the old warning level (3), below the refused one (3.6)
    const again = await seenAlarm('the alarm raised by the rules in force', (a) => a.rule === 'water-level' && a.state === 'raised', before);
    expect(again).toEqual(expect.objectContaining({ threshold: 3, value: expect.closeTo(3.3, 6) }));

    // SIGHUP does the same as a file change: reload now.
    expect(await system.alarms.reload('test')).toEqual({ ok: false, error: expect.stringContaining('water-level') });
    fs.writeFileSync(rulesFile, rulesYaml(3, 3.5));
    await waitFor(() => system.alarms.stats().ruleError === undefined, { what: 'the good rules file loaded' });
    expect(system.alarms.stats()).toEqual(expect.objectContaining({ rules: 3, ruleLoadErrors: 2 }));
    expect(system.alarms.active().map((a) => a.id)).toEqual([again.id]); // still active under the same rule
  });

  it('does not raise an active alarm twice after an ingest restart', async () => {
    const [active] = system.alarmStore.active({ site: SITE, rule: 'water-level' });
    expect(active?.state).toBe('raised');
    const before = seen.length;
    // A change stored just before a crash, not yet published: published at the next start.
    const orphan: Alarm = { ...active!, id: 'fuyuan:level-9:water-level:1', site: 'fuyuan', device: 'level-9', raisedAt: active!.ts };
    system.alarmStore.record(orphan);
    await system.restartIngest();
    expect(system.alarms.active().map((a) => a.id)).toEqual(expect.arrayContaining([active!.id, orphan.id]));
    await seenAlarm('the unpublished change published at start', (a) => a.id === orphan.id, before);
    await waitFor(() => system.alarmStore.unpublished().length === 0, { what: 'the outbox empty' });

    await publishLevel(3400);
    await waitFor(() => system.ingest.stats().samplesWritten === 1, { what: 'the reading written (and evaluated) after the restart' });
    await publishLevel(2600);
    const cleared = await seenAlarm('the restored alarm cleared', (a) => a.rule === 'water-level' && a.state === 'cleared', before);
    expect(cleared.id).toBe(active!.id);
    expect(seen.slice(before).filter((a) => a.rule === 'water-level' && a.site === SITE).map((a) => a.state)).toEqual(['cleared']);
    expect(system.alarmStore.history({ site: SITE, rule: 'water-level' }).map((a) => a.state)).toEqual(['cleared', 'cleared']);
  });

  it('raises a gateway-offline alarm when the gateway is lost (last will), without a capture, and clears it when it is back', async () => {
    const before = seen.length;
    const capturesBefore = commands.length;
    gateway.stream.destroy(); // a lost uplink: the broker publishes the retained last will
    const offline = await seenAlarm('the gateway-offline alarm', (a) => a.rule === 'gateway-offline' && a.state === 'raised', before);
    expect(offline).toEqual(expect.objectContaining({ site: SITE, device: GW, gateway: GW, kind: 'gateway-offline', severity: 'major' }));
    expect(system.alarmStore.get(offline.id)?.state).toBe('raised');

    gateway = await connectGateway();
    await seenAlarm('the gateway-offline alarm cleared', (a) => a.id === offline.id && a.state === 'cleared', before);
    expect(commands.length).toBe(capturesBefore);
    expect(system.alarmStore.get(offline.id)?.state).toBe('cleared');
  });
});
