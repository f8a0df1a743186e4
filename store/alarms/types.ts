// The alarm store's read side, as the API uses it (the write side belongs to ingest, the only
// writer). Alarms live in SQLite next to the event log: one row per alarm with its current
// state, and one row per change (raised, escalated, acknowledged, cleared) for the history.
import type { Alarm, AlarmSeverity, AlarmState } from '../../protocol/index.js';

/** An alarm as it stands now, with the times of its lifecycle. */
export interface StoredAlarm extends Alarm {
  raisedAt: number;
  /** Last change of any kind. */
  updatedAt: number;
  ackedAt?: number;
  clearedAt?: number;
}

export interface AlarmQuery {
  site?: string;
  gateway?: string;
  device?: string;
  rule?: string;
  /** At least this severity (info < warning < major < critical). */
  minSeverity?: AlarmSeverity;
  state?: AlarmState[];
  /** Alarms active at any time in [from, to] (raised before `to`, not cleared before `from`). */
  from?: number;
  to?: number;
  /** Newest first; default 100, at most 1000. */
  limit?: number;
}

export interface AlarmReader {
  /** Raised or acknowledged, not cleared; most severe first, then newest. */
  active(query?: Omit<AlarmQuery, 'state' | 'from' | 'to'>): StoredAlarm[];
  history(query: AlarmQuery): StoredAlarm[];
  get(id: string): StoredAlarm | undefined;
  /** Every change of one alarm, oldest first, as published. */
  changes(id: string): Alarm[];
  close(): void;
}
