// Table-driven cases for the checks both stores share.
import { describe, expect, it } from 'vitest';
import { RejectedWriteError, type StoredSample } from './types.js';
import { assertWritableSamples, filterMatchesNothing, MAX_TIMESTAMP_MS, normalizeHistoryQuery, storedValue } from './validation.js';

const T0 = Date.UTC(2026, 10, 28);
const good: StoredSample = {
  measurement: 'air', site: 'tj-north', gateway: 'gw-1', device: 'aqm-1', profile: 'sds011', ts: T0, seq: 1, values: { pm25: 1 },
};

describe('assertWritableSamples', () => {
  it('accepts valid samples, booleans and an empty batch', () => {
    expect(() => assertWritableSamples([good, { ...good, values: { on: true }, quality: 'bad' }])).not.toThrow();
    expect(() => assertWritableSamples([])).not.toThrow();
  });

  it.each<[string, Partial<StoredSample>, RegExp]>([
    ['NaN', { values: { pm25: Number.NaN } }, /finite/],
    ['-Infinity', { values: { pm25: Number.NEGATIVE_INFINITY } }, /finite/],
    ['a string value', { values: { pm25: '1' as unknown as number } }, /finite/],
    ['no values', { values: {} }, /no values/],
    ['field "time"', { values: { time: 1 } }, /field name "time"/],
    ['reserved sb_ field', { values: { sb_quality: 1 } }, /field name "sb_quality"/],
    ['upper-case field', { values: { PM25: 1 } }, /field name/],
    ['bad site', { site: 'Tj North' }, /site id/],
    ['bad gateway', { gateway: '' }, /gateway id/],
    ['bad device', { device: 'a/b' }, /device id/],
    ['bad measurement', { measurement: 'air quality' }, /measurement/],
    ['bad profile', { profile: 'X' }, /profile/],
    ['fractional ts', { ts: T0 + 0.5 }, /timestamp/],
    ['ts before 2000', { ts: 1000 }, /timestamp/],
    ['ts after 2262', { ts: MAX_TIMESTAMP_MS + 1 }, /timestamp/],
    ['negative seq', { seq: -1 }, /seq/],
    ['unknown quality', { quality: 'meh' as StoredSample['quality'] }, /quality/],
  ])('refuses %s', (_name, change, message) => {
    const call = (): void => assertWritableSamples([good, { ...good, ...change }]);
    expect(call).toThrow(RejectedWriteError);
    expect(call).toThrow(message);
    expect(call).toThrow(/sample 1/);
  });
});

describe('storedValue', () => {
  it.each([
    [true, 1], [false, 0], [-0, 0], [1.5, 1.5], [-2, -2],
  ])('%s → %s', (input, expected) => {
    expect(Object.is(storedValue(input), expected)).toBe(true);
  });
});

describe('normalizeHistoryQuery', () => {
  it.each([
    [{ from: T0, to: T0 + 10 }, { from: T0, to: T0 + 10, empty: false }],
    [{ from: T0 + 0.2, to: T0 + 10.2 }, { from: T0 + 1, to: T0 + 11, empty: false }],
    [{ from: -5, to: Number.MAX_SAFE_INTEGER }, { from: 0, to: MAX_TIMESTAMP_MS + 1, empty: false }],
    [{ from: T0, to: T0 }, { from: T0, to: T0, empty: true }],
    [{ from: T0 + 1, to: T0 }, { from: T0 + 1, to: T0, empty: true }],
  ])('%o', (query, expected) => {
    expect(normalizeHistoryQuery(query)).toMatchObject(expected);
  });

  it.each([
    [{ from: Number.NaN, to: 1 }, /finite/],
    [{ from: 0, to: 1, windowMs: 0 }, /windowMs/],
    [{ from: 0, to: 1, windowMs: -1000 }, /windowMs/],
    [{ from: 0, to: 1, windowMs: 0.5 }, /windowMs/],
    [{ from: 0, to: 1, limit: 0 }, /limit/],
    [{ from: 0, to: 1, limit: 2.5 }, /limit/],
    [{ from: 0, to: 1, aggregate: 'median' as 'mean' }, /aggregate/],
  ])('refuses %o', (query, message) => {
    expect(() => normalizeHistoryQuery(query)).toThrow(message);
  });
});

describe('filterMatchesNothing', () => {
  it.each([
    [{}, false], [{ site: 'a' }, false], [{ fields: [] }, false],
    [{ site: '' }, true], [{ gateway: '' }, true], [{ device: '' }, true], [{ measurement: '' }, true],
    [{ site: 'tj-north\r' }, true], [{ device: "a' OR 1=1" }, true], [{ measurement: 'air"' }, true], [{ gateway: 'GW-1' }, true],
  ])('%o → %s', (filter, expected) => {
    expect(filterMatchesNothing(filter)).toBe(expected);
  });
});
