// What the live stream carries, how one event is framed for Server-Sent Events, and which
// events a client's filter lets through. Pure: the hub, its tests and the route share it.
//
// Wire format (text/event-stream), one frame per event:
//   id: 1764614400000123
//   event: reading            (or alarm; control events: reset, dropped)
//   data: {"site":"jiejinkou","gateway":"gw-01","device":"th-1",...}
// Comments (": heartbeat …") keep proxies from closing an idle stream.
import type { Alarm, AlarmSeverity } from '../../protocol/index.js';
import type { StoredSample } from '../../store/types.js';

/**
 * One sample of one device, as it passed through the broker (site, gateway, device from the
 * topic): the same fields ingest stores for it.
 */
export type LiveReading = StoredSample;

export type LiveEventType = 'reading' | 'alarm';
export const LIVE_EVENT_TYPES: readonly LiveEventType[] = ['reading', 'alarm'];

/** An event as the hub keeps it: framed once, shared by every client and the resume ring. */
export interface LiveEntry {
  /** Monotonic; also the SSE `id:`. */
  id: number;
  /** When the hub took it (hub clock, ms): the ring's age limit uses it. */
  at: number;
  type: LiveEventType;
  site: string;
  gateway?: string;
  device: string;
  measurement?: string;
  severity?: AlarmSeverity;
  /** The whole SSE frame, ready to write. */
  frame: string;
  /** Length of the frame in bytes (UTF-8). */
  bytes: number;
}

export const SEVERITY_ORDER: readonly AlarmSeverity[] = ['info', 'warning', 'major', 'critical'];

export function severityAtLeast(severity: AlarmSeverity, min: AlarmSeverity): boolean {
  return SEVERITY_ORDER.indexOf(severity) >= SEVERITY_ORDER.indexOf(min);
}

/** What a client asked for. `site`, `gateway` and `device` apply to readings and alarms. */
export interface LiveFilter {
  types: ReadonlySet<LiveEventType>;
  site?: string;
  gateway?: string;
  device?: string;
  /** Readings only. */
  measurement?: string;
  /** Alarms only. */
  minSeverity?: AlarmSeverity;
}

export function matchesFilter(filter: LiveFilter, entry: LiveEntry): boolean {
  if (!filter.types.has(entry.type)) return false;
  if (filter.site !== undefined && entry.site !== filter.site) return false;
  if (filter.gateway !== undefined && entry.gateway !== filter.gateway) return false;
  if (filter.device !== undefined && entry.device !== filter.device) return false;
  if (entry.type === 'reading') return filter.measurement === undefined || entry.measurement === filter.measurement;
  return filter.minSeverity === undefined || (entry.severity !== undefined && severityAtLeast(entry.severity, filter.minSeverity));
}

/**
 * One SSE frame. `data` must not contain raw newlines: JSON.stringify output never does
 * (newlines inside strings are escaped), so one `data:` line is enough.
 */
export function sseFrame(event: string, data: unknown, id?: number): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** A comment line: ignored by EventSource, but it keeps the connection warm. */
export function sseComment(text: string): string {
  return `: ${text.replace(/[\r\n]+/g, ' ')}\n\n`;
}

/** Builds the hub's entry for a reading (the frame's data is the reading itself). */
export function readingEntry(id: number, at: number, reading: LiveReading): LiveEntry {
  const frame = sseFrame('reading', reading, id);
  return {
    id, at, type: 'reading', site: reading.site, gateway: reading.gateway, device: reading.device, measurement: reading.measurement,
    frame, bytes: Buffer.byteLength(frame),
  };
}

/** Builds the hub's entry for an alarm change (the frame's data is the alarm message as published). */
export function alarmEntry(id: number, at: number, alarm: Alarm): LiveEntry {
  const frame = sseFrame('alarm', alarm, id);
  return {
    id, at, type: 'alarm', site: alarm.site, gateway: alarm.gateway, device: alarm.device, severity: alarm.severity,
    frame, bytes: Buffer.byteLength(frame),
  };
}
