// Turning raw MQTT payload bytes into validated messages, with a reason that names
// the problem when they are not (the reason is logged and kept in the dead letters).
import type { z } from 'zod';

export type DecodeResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Formats zod issues as `samples.0.values.temp: expected number, received string`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      // zod nests the reason a record key was refused ("Invalid key in record" alone says little).
      const nested = 'issues' in issue && Array.isArray(issue.issues) ? (issue.issues as Array<{ message: string }>)[0]?.message : undefined;
      return `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}${nested ? ` (${nested})` : ''}`;
    })
    .join('; ');
}

export function decodeJson<T>(schema: z.ZodType<T>, payload: Buffer | string, maxBytes: number): DecodeResult<T> {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  if (size === 0) return { ok: false, reason: 'empty payload' };
  if (size > maxBytes) return { ok: false, reason: `payload of ${size} bytes exceeds the limit of ${maxBytes} bytes` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof payload === 'string' ? payload : payload.toString('utf8'));
  } catch (err) {
    return { ok: false, reason: `not valid JSON: ${(err as Error).message}` };
  }
  const result = schema.safeParse(parsed);
  return result.success ? { ok: true, value: result.data } : { ok: false, reason: `invalid message: ${describeIssues(result.error)}` };
}
