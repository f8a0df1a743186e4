// Table-driven cases for building line protocol.
import { describe, expect, it } from 'vitest';
import type { StoredSample } from '../types.js';
import { escapeKey, escapeMeasurement, formatFloat, formatStringField, sampleToLine } from './line-protocol.js';

const base: StoredSample = {
  measurement: 'energy', site: 'tj-port', gateway: 'gw-1', device: 'meter-1', profile: 'chint-ddsu666',
  ts: 1764290000000, seq: 1042, values: { voltage: 229.7 },
};

describe('sampleToLine', () => {
  it.each<[string, Partial<StoredSample>, string]>([
    ['a plain sample', {},
      'energy,device=meter-1,gateway=gw-1,profile=chint-ddsu666,site=tj-port voltage=229.7,sb_seq=1042 1764290000000'],
    ['integers stay floats (no i suffix)', { values: { count: 5, neg: -3 } },
      'energy,device=meter-1,gateway=gw-1,profile=chint-ddsu666,site=tj-port count=5,neg=-3,sb_seq=1042 1764290000000'],
    ['booleans as 1/0', { values: { on: true, off: false } },
      'energy,device=meter-1,gateway=gw-1,profile=chint-ddsu666,site=tj-port on=1,off=0,sb_seq=1042 1764290000000'],
    ['exponent forms and -0', { values: { big: 1e21, tiny: 1.5e-7, z: -0 } },
      'energy,device=meter-1,gateway=gw-1,profile=chint-ddsu666,site=tj-port big=1e+21,tiny=1.5e-7,z=0,sb_seq=1042 1764290000000'],
    ['quality as a string field', { quality: 'uncertain' },
      'energy,device=meter-1,gateway=gw-1,profile=chint-ddsu666,site=tj-port voltage=229.7,sb_seq=1042,sb_quality="uncertain" 1764290000000'],
    ['an empty profile tag is left out', { profile: '' },
      'energy,device=meter-1,gateway=gw-1,site=tj-port voltage=229.7,sb_seq=1042 1764290000000'],
    ['special characters escaped', { measurement: 'a b,c', site: 'x=y z,w', values: { 'f g': 1 } },
      'a\\ b\\,c,device=meter-1,gateway=gw-1,profile=chint-ddsu666,site=x\\=y\\ z\\,w f\\ g=1,sb_seq=1042 1764290000000'],
  ])('%s', (_name, change, expected) => {
    expect(sampleToLine({ ...base, ...change })).toBe(expected);
  });

  it.each<[string, Partial<StoredSample>]>([
    ['a line break in a tag', { site: 'a\nb' }],
    ['a backslash in a measurement', { measurement: 'a\\' }],
    ['NaN', { values: { v: Number.NaN } }],
    ['a fractional timestamp', { ts: 1.5 }],
  ])('refuses %s', (_name, change) => {
    expect(() => sampleToLine({ ...base, ...change })).toThrow(/line protocol/);
  });
});

describe('escaping helpers', () => {
  it.each([
    [escapeMeasurement, 'm,x y=z', 'm\\,x\\ y=z'],
    [escapeKey, 'k,x y=z', 'k\\,x\\ y\\=z'],
    [formatStringField, 'say "hi" \\o/', '"say \\"hi\\" \\\\o/"'],
    [formatFloat, 0.1, '0.1'],
    [formatFloat, -273.15, '-273.15'],
    [formatFloat, 9007199254740991, '9007199254740991'],
  ] as Array<[(v: never) => string, unknown, string]>)('%o(%o) = %s', (fn, input, expected) => {
    expect(fn(input as never)).toBe(expected);
  });
});
