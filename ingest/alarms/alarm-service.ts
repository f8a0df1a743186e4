// The alarm service: the I/O around the pure alarm engine (engine-types.ts), inside ingest.
// It feeds the engine what ingest has durably stored (samples, device online/offline events),
// the gateways' retained status (and last will), a clock tick every second and the
// acknowledgements the API publishes; and for every change the engine decides it stores the
// change, publishes it on `sb/v1/alarm/{site}/{device}` (QoS 1, not retained: the current state
// lives in the alarm store, which the API serves) and, when asked, sends a `capture` command to
// the gateway so the cameras linked to the device take pictures.
//
// Evaluation happens after the samples are written and before their message is acked (see
// docs/protocol.md "Alarms"): an alarm never points at a reading the store does not hold, and a
// crash in between means the broker redelivers the reading, which is evaluated again (the engine
// was restored from the store, so an alarm already stored is not raised twice). The write costs
// the batch delay (20 ms by default) plus one SQLite/InfluxDB write, far inside the 2 s budget.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { MqttClient } from 'mqtt';
import {
  alarmSchema, commandSchema, decodeJson, filters, parseTopic, statusSchema, topics,
  type Alarm, type AlarmSeverity, type Command, type GatewayEvent,
} from '../../protocol/index.js';
import type { Logger } from '../../lib/logger.js';
import type { MqttTlsMaterial } from '../../lib/mqtt-tls.js';
import { connectService } from '../../lib/service-mqtt.js';
import { Counter, Gauge, Histogram, getOrCreate, type Registry } from '../../lib/metrics.js';
import { subscribeOnEveryConnect } from '../../lib/mqtt-subscribe.js';
import { SEVERITY_RANK, type AlarmStore, type RecordedChange } from '../../store/alarms/alarm-store.js';
import type { StoredAlarm } from '../../store/alarms/types.js';
import type { StoredSample } from '../../store/types.js';
import type { IngestAlarmFeed } from '../service.js';
import type { AlarmChange, AlarmEngine, CompiledRules, GatewayHealth } from './engine-types.js';

const SEVERITIES: readonly AlarmSeverity[] = ['info', 'warning', 'major', 'critical'];
/** Largest status or alarm payload read (statuses with many cameras are a few KiB). */
const MAX_MESSAGE_BYTES = 256 * 1024;

export interface AlarmServiceOptions {
  /** A connection of its own (ingest's account), persistent so acknowledgements wait while ingest is down. */
  mqtt: { url: string; username: string; password: string; clientId: string; tls?: MqttTlsMaterial | undefined };
  store: AlarmStore;
  /** Reads and validates the rules (rules file + profile hints). Throws with a message naming the bad rule. */
  loadRules(): CompiledRules | Promise<CompiledRules>;
  createEngine(rules: CompiledRules): AlarmEngine;
  /** The rules file, reloaded when it changes; without it only reload() (SIGHUP) reloads. */
  watchFile?: string;
  /** Quiet time after the last change of the file before it is read (editors write in steps). Default 300 ms. */
  watchDebounceMs?: number;
  /** Default 1000 ms. */
  tickIntervalMs?: number;
  clock?: () => number;
  logger: Logger;
  registry: Registry;
}

export type ReloadResult = { ok: true; rules: number; changes: number } | { ok: false; error: string };

export interface AlarmService extends IngestAlarmFeed {
  /** Resolves once subscribed to status and alarm topics. */
  readonly ready: Promise<void>;
  /** Reloads the rules; a bad file keeps the rules in force. Reloads run one at a time. */
  reload(reason?: string): Promise<ReloadResult>;
  active(): Alarm[];
  stats(): AlarmServiceStats;
  close(): Promise<void>;
}

export interface AlarmServiceStats {
  rules: number;
  raised: number;
  cleared: number;
  acknowledged: number;
  captures: number;
  ruleLoadErrors: number;
  /** The last refused rules file's error, until a good one is loaded. */
  ruleError?: string;
}

function alarmMetrics(registry: Registry) {
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    getOrCreate(registry, name, () => new Counter({ name, help, labelNames, registers: [registry] }));
  return {
    raised: counter('shaobing_alarms_raised_total', 'Alarms raised, including raises to a higher severity, by severity', ['severity'] as const),
    cleared: counter('shaobing_alarms_cleared_total', 'Alarms cleared, by severity', ['severity'] as const),
    acknowledged: counter('shaobing_alarms_acknowledged_total', 'Alarm acknowledgements recorded, by severity', ['severity'] as const),
    ackRefused: counter('shaobing_alarm_acks_refused_total', 'Acknowledgements not applied (unknown or cleared alarm), by reason', ['reason'] as const),
    captures: counter('shaobing_alarm_capture_commands_total', 'Capture commands sent to gateways for alarms'),
    ruleLoadErrors: counter('shaobing_alarm_rule_load_errors_total', 'Rules files refused at reload (the rules in force were kept)'),
    publishFailures: counter('shaobing_alarm_publish_failures_total', 'Alarm or capture messages the broker did not take', ['kind'] as const),
    storeFailures: counter('shaobing_alarm_store_failures_total', 'Alarm changes that could not be stored at once (retried every tick)'),
    errors: counter('shaobing_alarm_evaluation_errors_total', 'Errors of the engine or of an input message, by source', ['source'] as const),
    active: getOrCreate(registry, 'shaobing_alarms_active', () =>
      new Gauge({ name: 'shaobing_alarms_active', help: 'Alarms raised or acknowledged and not cleared, by severity', labelNames: ['severity'] as const, registers: [registry] })),
    rules: getOrCreate(registry, 'shaobing_alarm_rules', () =>
      new Gauge({ name: 'shaobing_alarm_rules', help: 'Alarm rules in force', registers: [registry] })),
    latency: getOrCreate(registry, 'shaobing_alarm_evaluation_seconds', () =>
      new Histogram({
        name: 'shaobing_alarm_evaluation_seconds',
        help: 'From ingest receiving a reading to the alarm change it caused being stored and taken by the broker',
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5], registers: [registry],
      })),
  };
}

/** Starts the service: loads the rules (a bad file here stops ingest), restores the open alarms, connects. */
export async function startAlarmService(options: AlarmServiceOptions): Promise<AlarmService> {
  const { store, logger } = options;
  const clock = options.clock ?? Date.now;
  const metrics = alarmMetrics(options.registry);
  const counts = { raised: 0, cleared: 0, acknowledged: 0, captures: 0, ruleLoadErrors: 0 };
  let ruleError: string | undefined;
  let closed = false;

  let rules = await options.loadRules();
  const engine = options.createEngine(rules);
  const open = store.openAlarms();
  engine.restore(open);
  metrics.rules.set(rules.count);
  logger.info({ rules: rules.count, source: rules.source, restored: open.length }, 'alarm rules loaded');

  const client: MqttClient = connectService(options.mqtt, { persistent: true });
  client.on('error', (err) => logger.warn({ err: err.message }, 'alarm service MQTT error'));

  /** Changes the store refused (disk full, I/O error): retried on every tick. */
  const unstored: Array<{ alarm: Alarm; published: boolean }> = [];

  function updateActiveGauge(): void {
    const bySeverity = new Map<AlarmSeverity, number>(SEVERITIES.map((s) => [s, 0]));
    for (const alarm of engine.active()) bySeverity.set(alarm.severity, (bySeverity.get(alarm.severity) ?? 0) + 1);
    for (const [severity, n] of bySeverity) metrics.active.set({ severity }, n);
  }

  function record(alarm: Alarm): RecordedChange | undefined {
    try {
      return store.record(alarm);
    } catch (err) {
      metrics.storeFailures.inc();
      logger.error({ err: (err as Error).message, alarm: alarm.id, state: alarm.state }, 'alarm change not stored; publishing it anyway and retrying the store');
      unstored.push({ alarm, published: false });
      return undefined;
    }
  }

  function publish(alarm: Alarm, seq: number | undefined, receivedAt: number | undefined): void {
    client.publish(topics.alarm(alarm.site, alarm.device), JSON.stringify(alarm), { qos: 1, retain: false }, (err) => {
      if (err) {
        metrics.publishFailures.inc({ kind: 'alarm' });
        logger.warn({ err: err.message, alarm: alarm.id }, 'alarm not published (it is published again at the next start)');
        return;
      }
      if (seq !== undefined) {
        try { store.markPublished(seq); } catch (e) { logger.warn({ err: (e as Error).message }, 'could not mark an alarm change published'); }
      } else {
        const pending = unstored.find((u) => u.alarm === alarm);
        if (pending) pending.published = true;
      }
      if (receivedAt !== undefined) metrics.latency.observe(Math.max(0, Date.now() - receivedAt) / 1000);
    });
  }

  function capture(alarm: Alarm): void {
    // A gateway-offline alarm cannot be photographed by the gateway that is gone.
    if (alarm.gateway === undefined || alarm.kind === 'gateway-offline') return;
    const command: Command = {
      v: 1, id: `alarm-${randomUUID()}`, ts: clock(), type: 'capture', device: alarm.device, alarmId: alarm.id, reason: alarm.message.slice(0, 500),
    };
    const checked = commandSchema.safeParse(command);
    if (!checked.success) {
      logger.warn({ alarm: alarm.id, err: checked.error.message }, 'capture command not sent: invalid');
      return;
    }
    counts.captures++;
    metrics.captures.inc();
    client.publish(topics.command({ site: alarm.site, gateway: alarm.gateway }), JSON.stringify(checked.data), { qos: 1, retain: false }, (err) => {
      if (err) {
        metrics.publishFailures.inc({ kind: 'command' });
        logger.warn({ err: err.message, alarm: alarm.id }, 'capture command not published');
      }
    });
  }

  /**
   * Counts what happened to the alarm. The engine also sends changes that are neither (a new
   * message while flapping, a de-escalation): raised counts new alarms and higher severities only.
   */
  function count(change: AlarmChange, before: StoredAlarm | undefined): void {
    const { alarm, previous } = change;
    const labels = { severity: alarm.severity };
    const higher = before !== undefined && SEVERITY_RANK[alarm.severity] > SEVERITY_RANK[before.severity];
    if (alarm.state === 'raised' && (previous === undefined || change.capture || higher)) { counts.raised++; metrics.raised.inc(labels); }
    if (alarm.state === 'cleared') { counts.cleared++; metrics.cleared.inc(labels); }
    if (alarm.state === 'acknowledged' && previous !== 'acknowledged') { counts.acknowledged++; metrics.acknowledged.inc(labels); }
  }

  /** Stores, publishes and (when asked) photographs each change the engine decided. */
  function apply(changes: readonly AlarmChange[], receivedAt?: number): void {
    if (changes.length === 0) return;
    for (const change of changes) {
      const { alarm } = change;
      const recorded = record(alarm);
      const seq = recorded?.seq;
      count(change, recorded?.before);
      logger.info({ alarm: alarm.id, rule: alarm.rule, site: alarm.site, device: alarm.device, state: alarm.state, severity: alarm.severity, previous: change.previous }, 'alarm change');
      publish(alarm, seq, alarm.receivedAt ?? receivedAt);
      if (change.capture) capture(alarm);
    }
    updateActiveGauge();
  }

  /** Runs one engine call, so that an engine bug costs an alarm decision and never ingest. */
  function guarded(source: string, run: () => readonly AlarmChange[], receivedAt?: number): void {
    if (closed) return;
    let changes: readonly AlarmChange[];
    try {
      changes = run();
    } catch (err) {
      metrics.errors.inc({ source });
      logger.error({ err: (err as Error).message, source }, 'alarm engine failed');
      return;
    }
    apply(changes, receivedAt);
  }

  function retryUnstored(): void {
    while (unstored.length > 0) {
      const next = unstored[0]!;
      try {
        const { seq } = store.record(next.alarm);
        if (next.published) store.markPublished(seq);
      } catch {
        return;
      }
      unstored.shift();
    }
  }

  function onStatus(site: string, gateway: string, payload: Buffer): void {
    if (payload.length === 0) return; // a retained status being deleted
    const decoded = decodeJson(statusSchema, payload, MAX_MESSAGE_BYTES);
    if (!decoded.ok) {
      metrics.errors.inc({ source: 'status' });
      logger.warn({ site, gateway, reason: decoded.reason }, 'gateway status ignored by the alarm service');
      return;
    }
    const status = decoded.value;
    const health: GatewayHealth = {
      site, gateway, online: status.state === 'online',
      // The last will carries no time: it is published when the broker noticed the loss, i.e. now.
      ts: status.ts ?? clock(), receivedAt: clock(),
      ...(status.devices ? { devices: Object.fromEntries(Object.entries(status.devices).map(([id, d]) => [id, { online: d.online }])) } : {}),
    };
    guarded('status', () => engine.gatewayHealth(health));
  }

  function onAlarmMessage(payload: Buffer): void {
    const decoded = decodeJson(alarmSchema, payload, MAX_MESSAGE_BYTES);
    if (!decoded.ok) {
      metrics.errors.inc({ source: 'alarm' });
      logger.warn({ reason: decoded.reason }, 'alarm message ignored');
      return;
    }
    const message = decoded.value;
    // Raised and cleared are ours, echoing back; only the API's acknowledgements are news.
    if (message.state !== 'acknowledged' || closed) return;
    let result: ReturnType<AlarmEngine['acknowledge']>;
    try {
      result = engine.acknowledge(message.id, message.by ?? 'unknown', message.note, message.ts);
    } catch (err) {
      metrics.errors.inc({ source: 'acknowledge' });
      logger.error({ err: (err as Error).message, alarm: message.id }, 'alarm engine failed');
      return;
    }
    if (!result.ok) {
      // A redelivered acknowledgement is already applied; the others are worth a look.
      if (result.reason !== 'already-acknowledged') {
        metrics.ackRefused.inc({ reason: result.reason });
        logger.warn({ alarm: message.id, reason: result.reason, message: result.message }, 'acknowledgement not applied');
      }
      return;
    }
    const { alarm } = result.change;
    // Published by the API already: store it as published, do not publish it again.
    let before: StoredAlarm | undefined;
    try {
      const recorded = store.record(alarm);
      before = recorded.before;
      store.markPublished(recorded.seq);
    } catch (err) {
      metrics.storeFailures.inc();
      logger.error({ err: (err as Error).message, alarm: alarm.id }, 'acknowledgement not stored; retrying');
      unstored.push({ alarm, published: true });
    }
    count(result.change, before);
    logger.info({ alarm: alarm.id, by: alarm.by }, 'alarm acknowledged');
    updateActiveGauge();
  }

  client.on('message', (topic, payload) => {
    const parsed = parseTopic(topic);
    try {
      if (parsed?.kind === 'alarm') onAlarmMessage(payload);
      else if (parsed?.kind === 'gateway' && parsed.channel === 'status') onStatus(parsed.site, parsed.gateway, payload);
    } catch (err) {
      metrics.errors.inc({ source: 'message' });
      logger.error({ err: (err as Error).message, topic }, 'alarm service failed on a message');
    }
  });

  const subscribed = subscribeOnEveryConnect(client, [filters.allStatus, filters.allAlarms], logger, 'alarm service');
  const firstConnectFailed = new Promise<never>((_, reject) => {
    const onError = (err: Error) => reject(err);
    client.once('error', onError);
    client.once('connect', () => client.off('error', onError));
  });
  const ready = Promise.race([subscribed, firstConnectFailed]).then(() => {
    // What a crash left stored but unpublished: publish it now (no capture: that moment is gone).
    for (const { seq, alarm } of store.unpublished()) publish(alarm, seq, undefined);
  });
  ready.catch(() => undefined);

  const tick = setInterval(() => {
    retryUnstored();
    guarded('tick', () => engine.tick(clock()));
  }, options.tickIntervalMs ?? 1000);
  updateActiveGauge();

  let reloading: Promise<ReloadResult> = Promise.resolve({ ok: true, rules: rules.count, changes: 0 });
  async function reloadNow(reason: string): Promise<ReloadResult> {
    if (closed) return { ok: false, error: 'alarm service closed' };
    let next: CompiledRules;
    try {
      next = await options.loadRules();
    } catch (err) {
      const error = (err as Error).message;
      counts.ruleLoadErrors++;
      metrics.ruleLoadErrors.inc();
      ruleError = error;
      logger.error({ err: error, reason }, 'alarm rules refused; keeping the rules in force');
      return { ok: false, error };
    }
    let changes = 0;
    guarded('reload', () => {
      const decided = engine.replaceRules(next, clock());
      changes = decided.length;
      return decided;
    });
    rules = next;
    ruleError = undefined;
    metrics.rules.set(rules.count);
    logger.info({ rules: rules.count, source: rules.source, changes, reason }, 'alarm rules reloaded');
    return { ok: true, rules: rules.count, changes };
  }
  const reload = (reason = 'requested') => (reloading = reloading.then(() => reloadNow(reason)));

  let watcher: fs.FSWatcher | undefined;
  let debounce: NodeJS.Timeout | undefined;
  if (options.watchFile) {
    // The directory, not the file: editors and config tools replace the file (rename), which ends a watch on it.
    const file = path.resolve(options.watchFile);
    const name = path.basename(file);
    try {
      watcher = fs.watch(path.dirname(file), (_event, changed) => {
        if (changed !== null && changed !== name) return;
        clearTimeout(debounce);
        debounce = setTimeout(() => void reload('rules file changed'), options.watchDebounceMs ?? 300);
      });
      watcher.on('error', (err) => logger.warn({ err: err.message, file }, 'watching the alarm rules file failed; reload with SIGHUP'));
    } catch (err) {
      logger.warn({ err: (err as Error).message, file }, 'cannot watch the alarm rules file; reload with SIGHUP');
    }
  }

  return {
    ready,
    samplesStored(samples: readonly StoredSample[], receivedAt: number) {
      for (const sample of samples) {
        guarded('reading', () => engine.evaluate({
          site: sample.site, gateway: sample.gateway, device: sample.device, measurement: sample.measurement, profile: sample.profile,
          ts: sample.ts, values: sample.values, receivedAt, ...(sample.quality ? { quality: sample.quality } : {}),
        }), receivedAt);
      }
    },
    eventStored(source, event: GatewayEvent) {
      if (event.type !== 'device-online' && event.type !== 'device-offline') return;
      // An event comes from a connected gateway, about one of its devices.
      guarded('event', () => engine.gatewayHealth({
        site: source.site, gateway: source.gateway, online: true, ts: event.ts, receivedAt: clock(),
        devices: { [source.device]: { online: event.type === 'device-online' } },
      }));
    },
    reload,
    active: () => engine.active(),
    stats: () => ({ rules: rules.count, ...counts, ...(ruleError === undefined ? {} : { ruleError }) }),
    async close() {
      closed = true;
      clearInterval(tick);
      clearTimeout(debounce);
      watcher?.close();
      await reloading.catch(() => undefined);
      await client.endAsync(true);
    },
  };
}
