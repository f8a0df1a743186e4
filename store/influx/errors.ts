// Telling a refused write from an outage, and saying what went wrong in words. The
// distinction matters to ingest: a refusal will never succeed (dead-letter it), an
// outage will (keep the MQTT messages un-acked and retry).
import { AbortError, HttpError, RequestTimedOutError } from '@influxdata/influxdb-client';
import { RejectedWriteError } from '../types.js';

/**
 * Statuses meaning "the server looked at the data and refused it": 400 (bad line
 * protocol, field type conflict, partial write), 413 (batch too large), 422 (2.x:
 * points outside the bucket's retention). Everything else may pass on a retry.
 */
const REFUSED_STATUSES = new Set([400, 413, 422]);

/** A one-line reason: the server's own error text when it sent one. */
export function describeInfluxError(err: unknown, timeoutMs: number): string {
  if (err instanceof HttpError) {
    const json = err.json as { error?: unknown; message?: unknown } | undefined;
    let detail = typeof json?.error === 'string' ? json.error : typeof json?.message === 'string' ? json.message : undefined;
    if (detail === undefined && err.body) {
      try {
        const parsed = JSON.parse(err.body) as { error?: unknown; message?: unknown };
        detail = String(parsed.error ?? parsed.message ?? err.body);
      } catch {
        detail = err.body;
      }
    }
    return `HTTP ${err.statusCode}${detail ? `: ${detail.trim()}` : err.statusMessage ? ` ${err.statusMessage}` : ''}`;
  }
  // Our per-request deadline aborts the request (see transport.ts).
  if (err instanceof AbortError || err instanceof RequestTimedOutError || (err instanceof Error && err.name === 'AbortError')) {
    return `no answer within ${timeoutMs} ms`;
  }
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message || err.name;
  }
  return String(err);
}

export function isRefusedWrite(err: unknown): err is HttpError {
  return err instanceof HttpError && REFUSED_STATUSES.has(err.statusCode);
}

/** The error writeBatch throws for a failed write request. */
export function writeFailure(err: unknown, timeoutMs: number): Error {
  const reason = describeInfluxError(err, timeoutMs);
  return isRefusedWrite(err)
    ? new RejectedWriteError(`InfluxDB refused the data: ${reason}`, { cause: err })
    : new Error(`InfluxDB write failed: ${reason}`, { cause: err });
}
