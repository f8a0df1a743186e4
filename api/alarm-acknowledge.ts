// Acknowledging an alarm from the API: ingest owns the alarm's state, so the API publishes the
// acknowledgement on the alarm's topic (as the contract says) and waits, bounded, until the
// store shows ingest recorded it. Reads are local SQLite queries, so a short poll is cheap.
import { alarmSchema, type Alarm } from '../protocol/index.js';
import { delay } from '../lib/wait.js';
import type { AlarmReader, StoredAlarm } from '../store/alarms/types.js';
import type { AlarmPublisher } from './live/live-feed.js';

export type AcknowledgeOutcome =
  | { status: 'acknowledged'; alarm: StoredAlarm }
  | { status: 'unknown'; message: string }
  /** Cleared, or already acknowledged (before, or by someone else meanwhile). */
  | { status: 'conflict'; message: string; alarm: StoredAlarm }
  | { status: 'not-sent'; message: string }
  | { status: 'timeout'; message: string };

export interface AcknowledgeRequest {
  id: string;
  by: string;
  note?: string;
  timeoutMs: number;
  pollMs?: number;
  clock?: () => number;
}

function describeState(alarm: StoredAlarm): string {
  if (alarm.state === 'cleared') {
    return `alarm "${alarm.id}" was cleared${alarm.clearedAt === undefined ? '' : ` at ${new Date(alarm.clearedAt).toISOString()}`}; there is nothing to acknowledge`;
  }
  const when = alarm.ackedAt === undefined ? '' : ` at ${new Date(alarm.ackedAt).toISOString()}`;
  return `alarm "${alarm.id}" is already acknowledged${alarm.by ? ` by ${alarm.by}` : ''}${when}`;
}

/** The acknowledgement message: the alarm as it stands, with the new state, who, why and when. */
export function acknowledgement(alarm: StoredAlarm, by: string, note: string | undefined, ts: number): Alarm {
  const { receivedAt: _receivedAt, by: _by, note: _note, ...rest } = alarm;
  // alarmSchema drops the store's own fields (updatedAt, ackedAt, clearedAt).
  return alarmSchema.parse({ ...rest, v: 1, state: 'acknowledged', ts, by, ...(note === undefined ? {} : { note }) });
}

export async function acknowledgeAlarm(reader: AlarmReader, publisher: AlarmPublisher, request: AcknowledgeRequest): Promise<AcknowledgeOutcome> {
  const clock = request.clock ?? Date.now;
  const current = reader.get(request.id);
  if (!current) return { status: 'unknown', message: `no alarm "${request.id}"` };
  if (current.state !== 'raised') return { status: 'conflict', message: describeState(current), alarm: current };
  if (!publisher.connected()) return { status: 'not-sent', message: 'the API is not connected to the broker; the acknowledgement was not sent' };

  const deadline = clock() + request.timeoutMs;
  const message = acknowledgement(current, request.by, request.note, clock());
  const timedOut = Symbol('timeout');
  const stopWaiting = new AbortController();
  try {
    const sent = await Promise.race([publisher.publishAlarm(message).then(() => true), delay(request.timeoutMs, stopWaiting.signal).then(() => timedOut)]);
    if (sent === timedOut) return { status: 'timeout', message: `the broker did not take the acknowledgement within ${request.timeoutMs} ms` };
  } catch (err) {
    return { status: 'not-sent', message: `the acknowledgement was not sent: ${(err as Error).message}` };
  } finally {
    stopWaiting.abort();
  }

  for (;;) {
    const stored = reader.get(request.id);
    if (stored && stored.state !== 'raised') {
      // Ours when it names us; else someone else's acknowledgement (or a clear) came first.
      if (stored.state === 'acknowledged' && stored.by === request.by) return { status: 'acknowledged', alarm: stored };
      return { status: 'conflict', message: `${describeState(stored)} (while this acknowledgement was on its way)`, alarm: stored };
    }
    if (clock() >= deadline) {
      return {
        status: 'timeout',
        message: `the acknowledgement was published but ingest did not record it within ${request.timeoutMs} ms; it may still be recorded (is ingest running?)`,
      };
    }
    await delay(request.pollMs ?? 50);
  }
}
