// RTU framing as tables: CRC-16/MODBUS against frames from device manuals, cutting requests out
// of a byte stream however it is chunked, resynchronising after noise.
import { describe, expect, it } from 'vitest';
import { crc16, requestFrameLength, RtuRequestReader, rtuFrame } from './rtu-framing.js';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

describe('crc16', () => {
  it.each([
    // Renke RS-WS-N01 manual: read 2 holding registers from unit 1.
    ['01 03 00 00 00 02', 'c4 0b'],
    // Its answer: 65.8 %RH, −10.1 °C.
    ['01 03 04 02 92 ff 9b', '5a 3d'],
    // The Modbus spec's classic example: unit 0x11, read 3 holding registers from 0x006B.
    ['11 03 00 6b 00 03', '76 87'],
  ])('%s → %s', (frame, crc) => {
    const value = crc16(hex(frame));
    expect(Buffer.from([value & 0xff, value >> 8]).toString('hex')).toBe(crc.replace(/\s/g, ''));
  });
});

describe('rtuFrame', () => {
  it('appends the CRC low byte first; a damaged frame has the same length and fails the check', () => {
    expect(rtuFrame(1, hex('03 00 00 00 02')).toString('hex')).toBe('010300000002c40b');
    const damaged = rtuFrame(1, hex('03 00 00 00 02'), true);
    expect(damaged).toHaveLength(8);
    expect(crc16(damaged.subarray(0, 6))).not.toBe(damaged.readUInt16LE(6));
  });
});

describe('requestFrameLength', () => {
  it.each([
    ['01', undefined],
    ['01 03', 8],
    ['01 06', 8],
    ['01 10 00 10 00 02', undefined],
    ['01 10 00 10 00 02 04', 13],
    ['01 0f 00 00 00 0a 02', 11],
    ['01 11', 4],
    ['01 63', null],
  ])('%s → %s', (bytes, length) => {
    expect(requestFrameLength(hex(bytes))).toBe(length);
  });
});

describe('RtuRequestReader', () => {
  const read = rtuFrame(1, hex('03 00 00 00 02'));
  const write = rtuFrame(2, hex('10 00 10 00 02 04 00 01 00 02'));

  it('cuts requests out of a stream in any chunking', () => {
    const stream = Buffer.concat([read, write, read]);
    for (const size of [1, 3, 7, stream.length]) {
      const reader = new RtuRequestReader();
      const got = [];
      for (let i = 0; i < stream.length; i += size) got.push(...reader.push(stream.subarray(i, i + size)));
      expect(got.map((r) => `${r.unit}:${r.pdu.toString('hex')}`)).toEqual(['1:0300000002', '2:10001000020400010002', '1:0300000002']);
    }
  });

  it('drops noise and damaged frames, then finds the next good frame', () => {
    const reader = new RtuRequestReader();
    const damaged = rtuFrame(1, hex('03 00 00 00 02'), true);
    const got = reader.push(Buffer.concat([hex('ff 00 63'), damaged, read]));
    expect(got.map((r) => r.unit)).toEqual([1]);
    expect(reader.discarded).toBe(3 + damaged.length);
  });
});
