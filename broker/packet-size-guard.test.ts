// Packet boundaries in an MQTT byte stream, however the bytes are chunked.
import { describe, expect, it } from 'vitest';
import { MqttPacketSizeScanner } from './packet-size-guard.js';

/** An MQTT packet with a body of `bodyLength` bytes: type byte, varint length, body. */
function packet(bodyLength: number, type = 0x30): Buffer {
  const length: number[] = [];
  let rest = bodyLength;
  do {
    let byte = rest % 128;
    rest = Math.floor(rest / 128);
    if (rest > 0) byte |= 0x80;
    length.push(byte);
  } while (rest > 0);
  return Buffer.concat([Buffer.from([type, ...length]), Buffer.alloc(bodyLength, 0x61)]);
}

function scan(max: number, chunks: Buffer[]): Array<number | undefined> {
  const scanner = new MqttPacketSizeScanner(max);
  return chunks.map((chunk) => scanner.push(chunk));
}

function splitEvery(buffer: Buffer, size: number): Buffer[] {
  const parts: Buffer[] = [];
  for (let i = 0; i < buffer.length; i += size) parts.push(buffer.subarray(i, i + size));
  return parts;
}

describe('MqttPacketSizeScanner', () => {
  it.each([
    ['a small packet', 100, [packet(10)], [undefined]],
    ['exactly the limit (2 + 98 bytes)', 100, [packet(98)], [undefined]],
    ['one byte over the limit', 100, [packet(99)], [101]],
    ['zero-length packets (PINGREQ)', 100, [Buffer.concat([packet(0, 0xc0), packet(0, 0xc0), packet(10)])], [undefined]],
    ['many packets in one chunk, the third too big', 100, [Buffer.concat([packet(10), packet(50), packet(200)])], [203]],
    ['a 2-byte length (200)', 1000, [packet(200)], [undefined]],
    ['a 3-byte length (20 000)', 1000, [packet(20_000).subarray(0, 10)], [20_004]],
    ['a 4-byte length (the 256 MiB maximum)', 1000, [Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f])], [268_435_460]],
  ])('%s', (_name, max, chunks, expected) => {
    expect(scan(max, chunks)).toEqual(expected);
  });

  it('follows boundaries when every byte arrives alone', () => {
    const stream = Buffer.concat([packet(10), packet(130), packet(0, 0xc0), packet(300)]);
    const results = scan(200, splitEvery(stream, 1));
    const hit = results.findIndex((r) => r !== undefined);
    // The oversized packet is recognised at its last length byte: type + 2 length bytes into it.
    expect(hit).toBe(12 + 133 + 2 + 2);
    expect(results[hit]).toBe(303);
  });

  it('follows boundaries across odd chunk sizes', () => {
    const stream = Buffer.concat(Array.from({ length: 50 }, (_, i) => packet((i * 37) % 150)));
    for (const size of [1, 2, 3, 7, 64, 1000]) {
      expect(scan(200, splitEvery(stream, size)).every((r) => r === undefined), `chunks of ${size}`).toBe(true);
    }
  });

  it('stops at a malformed length (the MQTT parser reports it)', () => {
    expect(scan(100, [Buffer.from([0x30, 0x80, 0x80, 0x80, 0x80, 0x01]), packet(1000)])).toEqual([undefined, undefined]);
  });
});
