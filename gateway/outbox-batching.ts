// Turning outbox rows into MQTT messages: samples of one device (same topic, same
// measurement and profile) share a telemetry message of up to `maxSamples` samples and
// `maxBytes` bytes; other rows go out as they are. Each device's samples keep their order,
// and messages come out ordered by their oldest row. Pure.
import { PROTOCOL_VERSION } from '../protocol/index.js';
import type { OutboxRow } from './outbox-store.js';

export interface BatchLimits {
  /** Samples per telemetry message (the protocol allows up to 1000). */
  maxSamples: number;
  /** Payload bytes per telemetry message (ingest refuses more than 256 KiB). */
  maxBytes: number;
}

export interface OutboundMessage {
  topic: string;
  payload: string | Buffer;
  /** The outbox rows this message carries: deleted once the broker acknowledges it. */
  rowIds: number[];
  /** Telemetry samples in it (0 for a plain message). */
  samples: number;
}

/** The telemetry head shared by a device's samples, as stored in the batch key. */
export function batchKeyOf(head: { measurement: string; profile: string }): string {
  return JSON.stringify({ measurement: head.measurement, profile: head.profile });
}

/**
 * `{"v":1,` + the batch key's members + `,"samples":[…]}`: assembled from the stored JSON
 * text, so a backlog of thousands of samples is not parsed and serialised again.
 */
function telemetryPayload(batchKey: string, bodies: readonly string[]): string {
  return `{"v":${PROTOCOL_VERSION},${batchKey.slice(1, -1)},"samples":[${bodies.join(',')}]}`;
}

interface OpenBatch {
  firstId: number;
  topic: string;
  batchKey: string;
  bodies: string[];
  rowIds: number[];
  bytes: number;
}

const HEAD_BYTES = 64;

export function batchRows(rows: readonly OutboxRow[], limits: BatchLimits): OutboundMessage[] {
  const done: Array<{ firstId: number; message: OutboundMessage }> = [];
  const open = new Map<string, OpenBatch>();
  const close = (batch: OpenBatch): void => {
    done.push({
      firstId: batch.firstId,
      message: { topic: batch.topic, payload: telemetryPayload(batch.batchKey, batch.bodies), rowIds: batch.rowIds, samples: batch.bodies.length },
    });
  };

  for (const row of rows) {
    if (row.kind === 'message' || row.batchKey === null) {
      done.push({ firstId: row.id, message: { topic: row.topic, payload: row.body, rowIds: [row.id], samples: 0 } });
      continue;
    }
    const key = `${row.topic}\n${row.batchKey}`;
    const body = row.body as string; // sample rows are JSON text
    const size = Buffer.byteLength(body) + 1;
    let batch = open.get(key);
    if (batch && (batch.bodies.length >= limits.maxSamples || batch.bytes + size > limits.maxBytes)) {
      close(batch);
      batch = undefined;
    }
    if (!batch) {
      batch = { firstId: row.id, topic: row.topic, batchKey: row.batchKey, bodies: [], rowIds: [], bytes: HEAD_BYTES + row.batchKey.length };
      open.set(key, batch);
    }
    batch.bodies.push(body);
    batch.rowIds.push(row.id);
    batch.bytes += size;
  }
  for (const batch of open.values()) close(batch);
  return done.sort((a, b) => a.firstId - b.firstId).map((d) => d.message);
}
