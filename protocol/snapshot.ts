// The snapshot message (`sb/v1/gw/{site}/{gw}/snapshot/{camera}`): JPEG bytes with their
// metadata in one MQTT payload. Aedes speaks MQTT 3.1.1, which has no user properties, and
// base64 inside JSON would cost a third more on a 4G uplink, so the payload is a small
// binary envelope:
//
//   bytes 0–3   "SBS1"                 magic and envelope version
//   bytes 4–7   header length N        unsigned 32-bit big-endian, at most MAX_SNAPSHOT_HEADER_BYTES
//   next N      header                 UTF-8 JSON, `snapshotHeaderSchema`
//   the rest    the image              exactly `header.bytes` bytes, SHA-256 `header.sha256`
//
// The hash lets ingest store the image content-addressed and proves it arrived whole.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { describeIssues } from './decode.js';
import { PROTOCOL_VERSION, timestampSchema } from './schemas.js';
import { idSchema } from './schemas.js';

export const SNAPSHOT_MAGIC = 'SBS1';
export const MAX_SNAPSHOT_HEADER_BYTES = 16 * 1024;
/** Largest image the backend accepts (the broker's packet limit is 4 MiB). */
export const MAX_SNAPSHOT_IMAGE_BYTES = 2 * 1024 * 1024;

/** Why a snapshot was taken: on the schedule, for an alarm, on an operator's command, on a motion event. */
export const snapshotTriggerSchema = z.enum(['schedule', 'alarm', 'command', 'motion']);

export const snapshotHeaderSchema = z.strictObject({
  v: z.literal(PROTOCOL_VERSION),
  /** When the image was taken (the gateway's clock at the snapshot request). */
  ts: timestampSchema,
  contentType: z.literal('image/jpeg'),
  bytes: z.number().int().min(1).max(MAX_SNAPSHOT_IMAGE_BYTES),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'sha256 is 64 lowercase hex digits'),
  width: z.number().int().min(1).max(16_384).optional(),
  height: z.number().int().min(1).max(16_384).optional(),
  trigger: snapshotTriggerSchema,
  /** The command that asked for it (capture command id). */
  commandId: z.string().min(1).max(64).optional(),
  /** The alarm it documents, and the sensor device that raised it. */
  alarmId: z.string().min(1).max(128).optional(),
  device: idSchema.optional(),
  reason: z.string().max(500).optional(),
});

export type SnapshotTrigger = z.infer<typeof snapshotTriggerSchema>;
export type SnapshotHeader = z.infer<typeof snapshotHeaderSchema>;
/** What the sender supplies: size and hash are computed from the image. */
export type SnapshotHeaderInput = Omit<SnapshotHeader, 'v' | 'bytes' | 'sha256' | 'contentType'>;

export interface DecodedSnapshot { header: SnapshotHeader; image: Buffer }
export type SnapshotDecodeResult = { ok: true; value: DecodedSnapshot } | { ok: false; reason: string };

export function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A JPEG starts with SOI (FF D8) and ends with EOI (FF D9); a cut-off transfer loses the end. */
export function looksLikeJpeg(image: Buffer): boolean {
  return image.length >= 4 && image[0] === 0xff && image[1] === 0xd8 && image[image.length - 2] === 0xff && image[image.length - 1] === 0xd9;
}

export function encodeSnapshot(input: SnapshotHeaderInput, image: Buffer): Buffer {
  const header: SnapshotHeader = { v: PROTOCOL_VERSION, contentType: 'image/jpeg', bytes: image.length, sha256: sha256Hex(image), ...input };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const head = Buffer.alloc(8);
  head.write(SNAPSHOT_MAGIC, 0, 'ascii');
  head.writeUInt32BE(json.length, 4);
  return Buffer.concat([head, json, image]);
}

/** Checks the envelope, the header, the size, the hash and the JPEG markers; the reason names what is wrong. */
export function decodeSnapshot(payload: Buffer, maxImageBytes = MAX_SNAPSHOT_IMAGE_BYTES): SnapshotDecodeResult {
  const fail = (reason: string): SnapshotDecodeResult => ({ ok: false, reason });
  if (payload.length < 8) return fail(`snapshot payload of ${payload.length} bytes is shorter than the 8-byte envelope head`);
  if (payload.toString('ascii', 0, 4) !== SNAPSHOT_MAGIC) return fail(`snapshot payload does not start with "${SNAPSHOT_MAGIC}"`);
  const headerLength = payload.readUInt32BE(4);
  if (headerLength === 0 || headerLength > MAX_SNAPSHOT_HEADER_BYTES) return fail(`snapshot header length ${headerLength} is outside 1–${MAX_SNAPSHOT_HEADER_BYTES} bytes`);
  if (8 + headerLength > payload.length) return fail(`snapshot header length ${headerLength} runs past the end of the ${payload.length}-byte payload`);
  let raw: unknown;
  try {
    raw = JSON.parse(payload.toString('utf8', 8, 8 + headerLength));
  } catch (err) {
    return fail(`snapshot header is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = snapshotHeaderSchema.safeParse(raw);
  if (!parsed.success) return fail(`invalid snapshot header: ${describeIssues(parsed.error)}`);
  const header = parsed.data;
  const image = payload.subarray(8 + headerLength);
  if (image.length > maxImageBytes) return fail(`snapshot image of ${image.length} bytes exceeds the limit of ${maxImageBytes} bytes`);
  if (image.length !== header.bytes) return fail(`snapshot image is ${image.length} bytes but the header says ${header.bytes}`);
  if (sha256Hex(image) !== header.sha256) return fail('snapshot image does not match its sha256');
  if (!looksLikeJpeg(image)) return fail('snapshot image is not a complete JPEG (no FF D8 … FF D9 markers)');
  return { ok: true, value: { header, image } };
}
