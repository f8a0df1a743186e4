// Ingest's alarm side in one call, as `shaobing ingest` and startSystem (demo, tests) run it:
// the alarm store, the rules (file or text + profile hints), the engine and the alarm service.
import type { Logger } from '../../lib/logger.js';
import type { MqttTlsMaterial } from '../../lib/mqtt-tls.js';
import type { Registry } from '../../lib/metrics.js';
import { AlarmStore } from '../../store/alarms/alarm-store.js';
import { startAlarmService, type AlarmService } from './alarm-service.js';
import { createAlarmEngine } from './engine.js';
import { rulesLoader, type RulesSource } from './rules-source.js';

export interface AlarmSideOptions {
  mqtt: { url: string; username: string; password: string; clientId: string; tls?: MqttTlsMaterial | undefined };
  storePath: string;
  /** Cleared alarms kept this long (default 1 year). */
  maxAgeMs?: number;
  rules: RulesSource;
  /** Reload when the rules file changes (default true when there is a file). */
  watchRulesFile?: boolean;
  clock?: () => number;
  logger: Logger;
  registry: Registry;
}

export interface AlarmSide {
  store: AlarmStore;
  service: AlarmService;
  close(): Promise<void>;
}

/** Opens the store and starts the service; a bad rules file at start throws (naming the rules) and closes the store. */
export async function startAlarmSide(options: AlarmSideOptions): Promise<AlarmSide> {
  const { logger } = options;
  const store = new AlarmStore(options.storePath, { maxAgeMs: options.maxAgeMs, clock: options.clock, logger });
  let service: AlarmService | undefined;
  try {
    service = await startAlarmService({
      mqtt: options.mqtt, store, logger, registry: options.registry, clock: options.clock,
      loadRules: rulesLoader(options.rules),
      createEngine: (rules) => createAlarmEngine(rules),
      ...(options.rules.rulesFile !== undefined && options.watchRulesFile !== false ? { watchFile: options.rules.rulesFile } : {}),
    });
    await service.ready;
  } catch (err) {
    await service?.close();
    store.close();
    throw err;
  }
  const running = service;
  return {
    store,
    service: running,
    async close() {
      await running.close();
      store.close();
    },
  };
}
