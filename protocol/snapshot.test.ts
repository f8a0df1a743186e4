import { describe, expect, it } from 'vitest';
import { decodeSnapshot, encodeSnapshot, MAX_SNAPSHOT_HEADER_BYTES, sha256Hex } from './snapshot.js';

const TS = Date.UTC(2026, 6, 20, 3, 15, 0);
const jpeg = (size: number, fill = 7): Buffer => {
  const image = Buffer.alloc(size, fill);
  image.set([0xff, 0xd8], 0);
  image.set([0xff, 0xd9], size - 2);
  return image;
};
const IMAGE = jpeg(1000);

/** An envelope with a hand-made header, to build payloads the encoder would never produce. */
function envelope(header: unknown, image: Buffer, magic = 'SBS1'): Buffer {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const head = Buffer.alloc(8);
  head.write(magic, 0, 'ascii');
  head.writeUInt32BE(json.length, 4);
  return Buffer.concat([head, json, image]);
}
const goodHeader = { v: 1, ts: TS, contentType: 'image/jpeg', bytes: IMAGE.length, sha256: sha256Hex(IMAGE), trigger: 'schedule' };

describe('snapshot envelope', () => {
  it('round-trips the image and its metadata, computing size and hash', () => {
    const payload = encodeSnapshot({ ts: TS, trigger: 'alarm', alarmId: 'a-17', device: 'gas-1', width: 640, height: 360 }, IMAGE);
    const decoded = decodeSnapshot(payload);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.value.image.equals(IMAGE)).toBe(true);
    expect(decoded.value.header).toEqual({
      v: 1, ts: TS, contentType: 'image/jpeg', bytes: 1000, sha256: sha256Hex(IMAGE),
      trigger: 'alarm', alarmId: 'a-17', device: 'gas-1', width: 640, height: 360,
    });
  });

  const headerLengthPastEnd = Buffer.concat([Buffer.from('SBS1'), Buffer.from([0, 0, 1, 0]), Buffer.from('{}')]);
  const oversizedHeaderLength = Buffer.concat([Buffer.from('SBS1'), Buffer.alloc(4)]);
  oversizedHeaderLength.writeUInt32BE(MAX_SNAPSHOT_HEADER_BYTES + 1, 4);

  it.each([
    { what: 'too short', payload: Buffer.from('SBS1'), reason: /shorter than the 8-byte envelope head/ },
    { what: 'wrong magic', payload: envelope(goodHeader, IMAGE, 'JPEG'), reason: /does not start with "SBS1"/ },
    { what: 'header length over the bound', payload: oversizedHeaderLength, reason: /header length \d+ is outside/ },
    { what: 'header length past the end', payload: headerLengthPastEnd, reason: /runs past the end/ },
    { what: 'header not JSON', payload: envelope('{"v":1,', IMAGE), reason: /header is not valid JSON/ },
    { what: 'unknown trigger', payload: envelope({ ...goodHeader, trigger: 'whim' }, IMAGE), reason: /invalid snapshot header: trigger/ },
    { what: 'unexpected header field', payload: envelope({ ...goodHeader, colour: 'red' }, IMAGE), reason: /invalid snapshot header/ },
    { what: 'missing timestamp', payload: envelope({ ...goodHeader, ts: undefined }, IMAGE), reason: /invalid snapshot header: ts/ },
    { what: 'size mismatch (cut off in transit)', payload: envelope(goodHeader, IMAGE.subarray(0, 900)), reason: /image is 900 bytes but the header says 1000/ },
    { what: 'hash mismatch', payload: envelope({ ...goodHeader, sha256: 'a'.repeat(64) }, IMAGE), reason: /does not match its sha256/ },
    {
      what: 'not a JPEG', payload: envelope({ ...goodHeader, sha256: sha256Hex(Buffer.alloc(1000, 1)) }, Buffer.alloc(1000, 1)),
      reason: /not a complete JPEG/,
    },
  ])('refuses $what with a reason that names it', ({ payload, reason }) => {
    const decoded = decodeSnapshot(payload);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.reason).toMatch(reason);
  });

  it('refuses an image over the receiver’s limit', () => {
    const decoded = decodeSnapshot(encodeSnapshot({ ts: TS, trigger: 'command' }, jpeg(5000)), 4096);
    expect(decoded).toEqual({ ok: false, reason: 'snapshot image of 5000 bytes exceeds the limit of 4096 bytes' });
  });
});
