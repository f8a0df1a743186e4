import { describe, expect, it } from 'vitest';
import { fieldListParam, parseDuration, parseTime } from './params.js';

const now = Date.UTC(2026, 10, 29, 12, 0, 0);

describe('parseDuration', () => {
  it.each([
    ['500ms', 500], ['30s', 30_000], ['5m', 300_000], ['1h', 3_600_000], ['1d', 86_400_000], ['2w', 1_209_600_000],
    ['1.5h', undefined], ['h', undefined], ['-5m', undefined], ['5 m', undefined], ['5M', undefined], ['', undefined], ['1e3s', undefined],
  ])('%j → %j', (text, expected) => {
    expect(parseDuration(text)).toBe(expected);
  });
});

describe('parseTime', () => {
  it.each([
    ['now', now],
    ['-6h', now - 6 * 3_600_000],
    ['-30m', now - 1_800_000],
    ['1764290000000', 1764290000000],
    ['2026-01-15T03:00:00Z', Date.UTC(2026, 0, 15, 3)],
    ['2026-01-15T11:00:00+08:00', Date.UTC(2026, 0, 15, 3)],
    ['2026-01-15T03:00:00.250Z', Date.UTC(2026, 0, 15, 3, 0, 0, 250)],
    ['2026-01-15', Date.UTC(2026, 0, 15)],
    ['2026-01-15T03:00:00', undefined], // no zone: refused instead of guessing the server's
    ['yesterday', undefined],
    ['-6x', undefined],
    ['2026-13-45T00:00:00Z', undefined],
    ["1'; DROP TABLE readings; --", undefined],
    ['NaN', undefined],
    ['Infinity', undefined],
  ])('%j → %j', (text, expected) => {
    expect(parseTime(text, now)).toBe(expected);
  });
});

describe('fieldListParam', () => {
  it('splits and trims', () => {
    expect(fieldListParam.parse('temperature, humidity,')).toEqual(['temperature', 'humidity']);
  });
  it.each(['', ',', 'Temp', 'a;b', 'x"y'])('refuses %j', (text) => {
    expect(fieldListParam.safeParse(text).success).toBe(false);
  });
});
