// Modbus TCP framing: requests cut out of a stream, answers wrapped, junk refused.
import { describe, expect, it } from 'vitest';
import { mbapFrame, MbapRequestReader } from './mbap-framing.js';

describe('MBAP framing', () => {
  it('wraps a PDU: transaction id, protocol 0, length of unit + PDU, unit', () => {
    expect(mbapFrame(0x0102, 7, Buffer.from([0x03, 0x02, 0x00, 0x2a])).toString('hex')).toBe('0102000000050703' + '02002a');
  });

  it('cuts requests out of a stream in any chunking', () => {
    const stream = Buffer.concat([mbapFrame(1, 1, Buffer.from('0300000002', 'hex')), mbapFrame(2, 9, Buffer.from('0600010007', 'hex'))]);
    for (const size of [1, 5, stream.length]) {
      const reader = new MbapRequestReader();
      const got = [];
      for (let i = 0; i < stream.length; i += size) got.push(...reader.push(stream.subarray(i, i + size)));
      expect(got.map((r) => `${r.transactionId}/${r.unit}/${r.pdu.toString('hex')}`)).toEqual(['1/1/0300000002', '2/9/0600010007']);
    }
  });

  it('refuses a stream that is not Modbus TCP', () => {
    expect(() => new MbapRequestReader().push(Buffer.from('GET / HTTP/1.1\r\n'))).toThrow(/not a Modbus TCP frame/);
  });
});
