// The seam between the alarm engine (pure: rules, evaluation, lifecycle) and the ingest
// service that feeds it readings and gateway health and carries out what it decides (store,
// publish, camera capture). Everything crossing it is plain data with times given by the caller,
// so the engine is tested with tables and no clock, timers or I/O.
import type { Alarm } from '../../protocol/index.js';
import type { StoredSample } from '../../store/types.js';

/** One stored sample as ingest has it after validation (one device, one instant). */
export interface ReadingSample extends Omit<StoredSample, 'seq'> {
  /** Read only here: the engine never changes the sample it is given. */
  values: Readonly<Record<string, number | boolean>>;
  /** When ingest received the message holding it (ms): carried into the alarm for the latency metric. */
  receivedAt: number;
}

/** What ingest learns about a gateway and its devices from the retained status (and last will). */
export interface GatewayHealth {
  site: string;
  gateway: string;
  online: boolean;
  ts: number;
  /** Per device: online as the gateway sees it (absent in the last will). */
  devices?: Readonly<Record<string, { online: boolean }>>;
  /**
   * When ingest received the report (ms, ingest's clock). Optional: with it, raiseAfterS and
   * clearAfterS of offline rules run on the gateway's clock, unaffected by its clock error;
   * without it `ts` is taken to be on ingest's clock (set ts to the receive time for a last will).
   */
  receivedAt?: number;
}

/** One change the engine decided: store it, publish it, and capture pictures when asked. */
export interface AlarmChange {
  alarm: Alarm;
  /** The state before this change (undefined for a new alarm). */
  previous?: Alarm['state'];
  /** A new alarm, or a raise to a higher severity: photograph what the sensor sees. */
  capture: boolean;
}

export type AcknowledgeResult =
  | { ok: true; change: AlarmChange }
  | { ok: false; reason: 'unknown' | 'cleared' | 'already-acknowledged'; message: string };

export interface AlarmEngine {
  /** Evaluates every rule that applies to the sample's device. */
  evaluate(sample: ReadingSample): AlarmChange[];
  /** Time-driven rules and holds: stale data, minimum durations elapsing, flap hold-off release. Call about every second. */
  tick(now: number): AlarmChange[];
  /** Gateway / device online state changes (gateway-offline and device-offline rules). */
  gatewayHealth(health: GatewayHealth): AlarmChange[];
  acknowledge(id: string, by: string, note: string | undefined, ts: number): AcknowledgeResult;
  /**
   * Replaces the rules (reload). Active alarms whose rule and device still apply keep their
   * state; the others are cleared (message says the rule was removed).
   */
  replaceRules(rules: CompiledRules, now: number): AlarmChange[];
  /** Alarms raised or acknowledged and not yet cleared. */
  active(): Alarm[];
  /** After a restart: the active alarms from the store, so nothing is raised twice. */
  restore(active: readonly Alarm[]): void;
}

/**
 * The rules in force after loading the rules file and the profiles' alarm hints, validated.
 * Opaque to the I/O side: it only passes them from the loader to the engine.
 */
export interface CompiledRules {
  readonly source: string;
  readonly count: number;
}
