// Rate of rise, rainfall accumulation, stale data, device and gateway offline: tables of
// readings / reports / ticks in, alarm changes out.
import { describe, expect, it } from 'vitest';
import { createAlarmEngine } from './engine.js';
import { totalIn } from './kinds/accumulation.js';
import { rateOf } from './kinds/rate-of-rise.js';
import { checked, compiled, health, reading, summary, T0, S, MIN, H } from './testing/fixtures.js';
import type { AlarmChange, AlarmEngine } from './engine-types.js';

const at = (c: AlarmChange) => `${(c.alarm.ts - T0) / MIN} min: ${summary(c)}`;

describe('rate of rise', () => {
  it.each([
    { name: 'a steady line', method: 'least-squares' as const, values: [0, 10, 20, 30], rate: 20 },
    { name: 'a steady line (endpoints)', method: 'endpoints' as const, values: [0, 10, 20, 30], rate: 20 },
    { name: 'noise on the last sample moves least squares less than endpoints', method: 'least-squares' as const, values: [0, 10, 20, 36], rate: 23.6 },
    { name: 'the same with endpoints', method: 'endpoints' as const, values: [0, 10, 20, 36], rate: 24 },
  ])('rateOf: $name', ({ method, values, rate }) => {
    const samples = values.map((value, i) => ({ ts: T0 + i * 30 * MIN, value }));
    expect(rateOf(samples, method, 2, 0)).toBeCloseTo(rate, 5); // units per hour, samples every 30 min
  });

  it('rateOf needs minSamples spanning minSpan', () => {
    const samples = [{ ts: T0, value: 0 }, { ts: T0 + 10 * MIN, value: 5 }];
    expect(rateOf(samples, 'least-squares', 3, 0)).toBeUndefined();
    expect(rateOf(samples, 'least-squares', 2, 30 * MIN)).toBeUndefined();
    expect(rateOf(samples, 'least-squares', 2, 10 * MIN)).toBeCloseTo(30);
  });

  it('raises on an ice-jam rise in cm/h from a millimetre radar, escalates, and clears when the river steadies', () => {
    const engine = createAlarmEngine(compiled(`
version: 1
flap: false
rules:
  - id: water-rise
    kind: rate-of-rise
    profile: hlk-ld8001h
    field: water_level
    name: Water level
    unit: cm
    decimals: 0
    windowS: 3600
    minSamples: 4
    deadband: 2
    levels:
      - { name: fast rise, atLeast: 15, severity: major }
      - { name: very fast rise, atLeast: 40, severity: critical }`));
    // Every 5 min: steady for 1 h, rising 20 cm/h for 1.5 h, 60 cm/h for 1 h, then steady.
    const changes: AlarmChange[] = [];
    let level = 3000; // mm
    for (let m = 0; m <= 6 * 60; m += 5) {
      if (m > 60 && m <= 150) level += 200 / 12;
      else if (m > 150 && m <= 210) level += 600 / 12;
      changes.push(...checked(engine.evaluate(reading('level-1', T0 + m * MIN, { water_level: Math.round(level) }))));
    }
    expect(changes.map(at)).toEqual([
      // A least-squares slope lags a ramp: 20 cm/h from minute 60 reads 14.8 at 100 min, 16.9 at 105.
      '105 min: raised major fast rise', '185 min: raised critical very fast rise', '235 min: raised major fast rise', '255 min: cleared',
    ]);
    expect(changes[0]!.alarm).toMatchObject({ value: expect.closeTo(16.9, 0), threshold: 15, unit: 'cm/h' });
    expect(changes[0]!.alarm.message).toMatch(/^Water level at s1\/level-1 is rising 1[67] cm\/h over the last 60 min: fast rise \(15 cm\/h or more\)$/);
    expect(new Set(changes.map((c) => c.alarm.id)).size).toBe(1);
  });
});

const RAIN = `
version: 1
flap: false
rules:
  - id: rainstorm
    kind: accumulation
    profile: xunchip-xm9505-rain
    field: rainfall
    unit: mm
    decimals: 1
    wrapAt: 6553.6
    maxRatePerHour: 600
    deadband: 2
    levels:
      - { name: blue rainstorm signal, windowH: 12, atLeast: 50, severity: warning }
      - { name: yellow rainstorm signal, windowH: 6, atLeast: 50, severity: major }
      - { name: orange rainstorm signal, windowH: 3, atLeast: 50, severity: major }
      - { name: red rainstorm signal, windowH: 3, atLeast: 100, severity: critical }`;

/** Feeds a rain gauge every 10 min for `hours`, `rate(h)` mm/h, the counter passed through `counter`. */
function rain(engine: AlarmEngine, hours: number, rate: (h: number) => number, counter: (total: number, h: number) => number = (t) => t, start = 0): AlarmChange[] {
  const changes: AlarmChange[] = [];
  let total = start;
  for (let m = 0; m <= hours * 60; m += 10) {
    if (m > 0) total += rate((m - 5) / 60) / 6;
    const value = Math.round(counter(total, m / 60) * 10) / 10; // the register's 0.1 mm
    changes.push(...checked(engine.evaluate(reading('rain-1', T0 + m * MIN, { rainfall: value }))));
  }
  return changes;
}

describe('accumulation (rainstorm signals)', () => {
  it('totalIn counts each increment for its share inside the window', () => {
    const increments = [{ from: 0, to: 10, increment: 10, excluded: 0, flags: [] }, { from: 10, to: 20, increment: 4, excluded: 0, flags: [] }];
    expect(totalIn(increments, 5, 20)).toBe(9);
    expect(totalIn(increments, 20, 30)).toBe(0);
  });

  it('one alarm per gauge escalating blue → yellow → orange → red, then easing off as the windows slide', () => {
    const engine = createAlarmEngine(compiled(RAIN));
    // 5 mm/h for 10 h, 40 mm/h for 3 h, then dry.
    const changes = rain(engine, 30, (h) => (h < 10 ? 5 : h < 13 ? 40 : 0));
    expect(changes.map((c) => summary(c))).toEqual([
      'raised warning blue rainstorm signal', 'raised major yellow rainstorm signal', 'raised major orange rainstorm signal',
      'raised critical red rainstorm signal', 'raised major orange rainstorm signal', 'raised major yellow rainstorm signal',
      'raised warning blue rainstorm signal', 'cleared',
    ]);
    // Hours, on the 10-min grid: e.g. yellow when 30 + 35·x ≥ 50 (x = 0.57 h after 10 h), red → orange when 120 − 40·x < 98.
    expect(changes.map((c) => Math.round(((c.alarm.ts - T0) / H) * 6) / 6)).toEqual([10, 10 + 4 / 6, 11, 12.5, 13 + 4 / 6, 14 + 5 / 6, 17 + 5 / 6, 23 + 5 / 6]);
    expect(new Set(changes.map((c) => c.alarm.id)).size).toBe(1);
    expect(changes[3]!.alarm).toMatchObject({ value: expect.closeTo(100, -1), threshold: 100, unit: 'mm' });
    expect(changes[3]!.alarm.message).toMatch(/^Rainfall at s1\/rain-1: 10\d\.\d mm in the last 3 h: red rainstorm signal \(100\.0 mm in 3 h\)$/);
  });

  it.each([
    // Cleared right after the 1 h 20 min reading: the next one shows only what fell since.
    { name: 'a counter reset to 0 by a power failure', counter: (t: number, h: number) => (h >= 1.5 ? t - 40 * (1.5 - 1 / 6) : t) },
    { name: 'the uint16 counter wrapping at 6553.6 mm', counter: (t: number) => (t + 6520) % 6553.6 },
  ])('rain over $name still adds up (red at 100 mm in 3 h)', ({ counter }) => {
    const engine = createAlarmEngine(compiled(RAIN));
    const changes = rain(engine, 3, () => 40, counter);
    // 40 mm/h from dry: 50 mm in 6 h and in 3 h at the same moment, so straight to orange.
    expect(changes.map((c) => summary(c))).toEqual(['raised major orange rainstorm signal', 'raised critical red rainstorm signal']);
    expect((changes[0]!.alarm.ts - T0) / H).toBeCloseTo(1 + 2 / 6, 5); // 50 mm at 1.25 h: the 1 h 20 min reading
    expect((changes[1]!.alarm.ts - T0) / H).toBeCloseTo(2.5, 5);
  });

  it('a lone garbage reading of the counter raises nothing', () => {
    const engine = createAlarmEngine(compiled(RAIN));
    const changes = rain(engine, 3, () => 2, (t, h) => (Math.abs(h - 1) < 0.01 ? 6000 : t));
    expect(changes).toEqual([]);
  });
});

describe('stale data', () => {
  const STALE = 'version: 1\nprofileHints: false\nflap: false\nrules: [{ id: stale, kind: stale, factor: 3, minSilenceS: 0 }]';
  const minuteReadings = (engine: AlarmEngine, minutes: number[]) =>
    minutes.flatMap((m) => checked(engine.evaluate(reading('th-1', T0 + m * MIN, { temperature: -20 }))));

  it('learns the interval, raises after factor × interval of silence (tick), clears on the next reading', () => {
    const engine = createAlarmEngine(compiled(STALE));
    minuteReadings(engine, [0, 1, 2, 3]);
    expect(engine.tick(T0 + 5 * MIN)).toEqual([]);
    const [raised] = checked(engine.tick(T0 + 6 * MIN + S));
    expect(raised!.alarm).toMatchObject({ kind: 'stale', severity: 'warning', ts: T0 + 6 * MIN + 200, value: 181, threshold: 180, unit: 's' });
    expect(raised!.alarm.message).toBe('No readings from s1/th-1 for 3 min (expected every 60 s; last received 2026-04-10 08:03)');
    expect(engine.tick(T0 + 7 * MIN)).toEqual([]); // raised once
    const [back] = minuteReadings(engine, [9]);
    expect(back!.alarm).toMatchObject({ state: 'cleared', id: raised!.alarm.id, message: 'Readings from s1/th-1 are arriving again (after 6 min without any)' });
  });

  it('does not guess before it has learned an interval, uses a configured one, and keeps minSilence', () => {
    const learned = createAlarmEngine(compiled(STALE));
    minuteReadings(learned, [0, 1]);
    expect(learned.tick(T0 + H)).toEqual([]);
    const configured = createAlarmEngine(compiled(STALE.replace('minSilenceS: 0', 'minSilenceS: 0, expectedIntervalS: 600')));
    minuteReadings(configured, [0]);
    expect(configured.tick(T0 + 29 * MIN)).toEqual([]);
    expect(configured.tick(T0 + 31 * MIN).map(summary)).toEqual(['raised warning no data']);
    const floor = createAlarmEngine(compiled(STALE.replace('minSilenceS: 0', 'minSilenceS: 600')));
    minuteReadings(floor, [0, 1, 2, 3]);
    expect(floor.tick(T0 + 12 * MIN)).toEqual([]);
    expect(floor.tick(T0 + 14 * MIN).map(summary)).toEqual(['raised warning no data']);
  });

  it('stays quiet while the gateway is offline or the device is reported offline', () => {
    const engine = createAlarmEngine(compiled(STALE));
    minuteReadings(engine, [0, 1, 2, 3]);
    engine.gatewayHealth(health(T0 + 4 * MIN, false));
    expect(engine.tick(T0 + 10 * MIN)).toEqual([]);
    const deviceDown = createAlarmEngine(compiled(`${STALE.replace(']', ', { id: dev, kind: device-offline }]')}`));
    minuteReadings(deviceDown, [0, 1, 2, 3]);
    expect(deviceDown.gatewayHealth(health(T0 + 4 * MIN, true, { 'th-1': false })).map(summary)).toEqual(['raised warning offline']);
    expect(deviceDown.tick(T0 + 10 * MIN)).toEqual([]);
  });
});

describe('device and gateway offline', () => {
  const OFFLINE = `
version: 1
profileHints: false
flap: false
rules:
  - { id: device-offline, kind: device-offline, raiseAfterS: 60 }
  - { id: gateway-offline, kind: gateway-offline, raiseAfterS: 120, clearAfterS: 30 }`;

  it('raises device-offline after raiseAfterS (tick) and clears when the gateway reports it back', () => {
    const engine = createAlarmEngine(compiled(OFFLINE));
    expect(engine.gatewayHealth(health(T0, true, { 'gas-1': false, 'th-1': true }))).toEqual([]);
    expect(engine.tick(T0 + 59 * S)).toEqual([]);
    const [raised] = checked(engine.tick(T0 + 61 * S));
    expect(raised!.alarm).toMatchObject({ kind: 'device-offline', device: 'gas-1', gateway: 'gw-1', severity: 'warning', ts: T0 + 60 * S });
    expect(raised!.alarm.message).toBe('Device s1/gas-1 does not answer its gateway gw-1 since 2026-04-10 08:00');
    expect(raised!.capture).toBe(true);
    const [back] = checked(engine.gatewayHealth(health(T0 + 5 * MIN, true, { 'gas-1': true })));
    expect(back!.alarm).toMatchObject({ state: 'cleared', message: 'Device s1/gas-1 answers its gateway gw-1 again (offline since 2026-04-10 08:01, 4 min)' });
  });

  it("ignores what an offline gateway's status says about its devices", () => {
    const engine = createAlarmEngine(compiled(OFFLINE.replace('raiseAfterS: 60', 'raiseAfterS: 0')));
    expect(engine.gatewayHealth(health(T0, false, { 'gas-1': false }))).toEqual([]);
    expect(engine.gatewayHealth(health(T0 + S, true, { 'gas-1': false })).map(summary)).toEqual(['raised warning offline']);
  });

  it('times gateway-offline on the gateway clock when receivedAt says how far off it is, asks for no pictures', () => {
    const engine = createAlarmEngine(compiled(OFFLINE));
    const skew = 7 * MIN; // the gateway's clock is 7 min slow
    engine.gatewayHealth(health(T0, false, undefined, { receivedAt: T0 + skew }));
    expect(engine.tick(T0 + skew + 119 * S)).toEqual([]);
    const [raised] = checked(engine.tick(T0 + skew + 121 * S));
    expect(raised!.alarm).toMatchObject({ kind: 'gateway-offline', device: 'gw-1', gateway: 'gw-1', severity: 'major', ts: T0 + 120 * S });
    expect(raised!.alarm.message).toBe('Gateway gw-1 at site s1 is offline since 2026-04-10 08:00: no readings from its devices reach the centre');
    expect(raised!.capture).toBe(false);
    // Back online, but it must stay so for clearAfterS.
    expect(engine.gatewayHealth(health(T0 + 10 * MIN, true, undefined, { receivedAt: T0 + 10 * MIN + skew }))).toEqual([]);
    expect(engine.tick(T0 + 10 * MIN + skew + 29 * S)).toEqual([]);
    expect(engine.tick(T0 + 10 * MIN + skew + 31 * S).map(summary)).toEqual(['cleared']);
  });

  it('a short drop of the gateway raises nothing; repeated drops are held as flapping', () => {
    const engine = createAlarmEngine(compiled(OFFLINE));
    expect(engine.gatewayHealth(health(T0, false))).toEqual([]);
    expect(engine.gatewayHealth(health(T0 + 60 * S, true))).toEqual([]);
    expect(engine.tick(T0 + 5 * MIN)).toEqual([]);

    const flappy = createAlarmEngine(compiled(OFFLINE.replace('flap: false', 'flap: { raises: 2, withinS: 3600, stableS: 600 }').replace('raiseAfterS: 120, clearAfterS: 30', 'raiseAfterS: 0')));
    const log: string[] = [];
    for (let m = 0; m < 40; m += 10) {
      log.push(...flappy.gatewayHealth(health(T0 + m * MIN, m % 20 !== 0)).map(at));
    }
    log.push(...flappy.tick(T0 + 45 * MIN).map(at), ...flappy.tick(T0 + 51 * MIN).map(at));
    expect(log).toEqual(['0 min: raised major offline', '10 min: cleared', '20 min: raised major offline', '30 min: raised major offline', '40 min: cleared']);
  });
});
