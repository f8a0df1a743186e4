// xs:duration / dateTime parsing for PullMessages timeouts and subscription lifetimes.
import { describe, expect, it } from 'vitest';
import { isoDuration } from '../../gateway/cameras/onvif-client.js';
import { formatDateTime, parseDuration, parseTerminationTime } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['PT60S', 60_000],
    ['PT1M30S', 90_000],
    ['PT0.5S', 500],
    ['PT1H', 3_600_000],
    ['P1D', 86_400_000],
    ['P1DT1S', 86_401_000],
    ['-PT5S', -5000],
  ])('%s = %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', 'P', 'PT', '60', 'PT5', 'T5S', 'PTS', 'PT-5S'])('%j is not a duration', (text) => expect(parseDuration(text)).toBeUndefined());
});

describe('termination times', () => {
  const now = Date.UTC(2026, 0, 15, 21, 0, 0);
  it('takes a duration from now or an absolute dateTime', () => {
    expect(parseTerminationTime('PT60S', now)).toBe(now + 60_000);
    expect(parseTerminationTime('2026-01-15T21:05:00Z', now)).toBe(now + 300_000);
    expect(parseTerminationTime('soon', now)).toBeUndefined();
  });
  it('formats as cameras do', () => {
    expect(formatDateTime(now + 123)).toBe('2026-01-15T21:00:00Z');
  });
  it('reads the sub-second durations the gateway writes', () => {
    expect(parseDuration(isoDuration(1500))).toBe(1500);
    expect(parseDuration(isoDuration(20_000))).toBe(20_000);
  });
});
