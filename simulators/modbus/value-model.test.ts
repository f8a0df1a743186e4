// The simulated world: deterministic, stepwise in time, plausible for a Tongjiang winter.
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultProfilesDir, loadProfileLibrary, parseProfile } from '../../gateway/profile.js';
import type { DeviceProfile, ProfilePoint } from '../../gateway/profile-schema.js';
import { servedValue } from './register-map.js';
import { quantizeTime, simulatedValue, SIMULATION_STEP_MS } from './value-model.js';

const HOUR = 3_600_000;
/** 2026-01-15 00:00 in Tongjiang (UTC+8). */
const LOCAL_MIDNIGHT = Date.UTC(2026, 0, 14, 16, 0, 0);

let th: DeviceProfile;
let pm: DeviceProfile;
const point = (profile: DeviceProfile, name: string): ProfilePoint => profile.points.find((p) => p.name === name)!;

function inline(simulation: unknown, type = 'int16'): ProfilePoint {
  const table = type === 'bool' ? 'coil' : 'holding';
  return parseProfile({ name: 'x', manufacturer: 't', model: 't', measurement: 'air', source: 't', points: [{ name: 'v', table, address: 0, type, simulation }] }).points[0]!;
}

function series(p: ProfilePoint, seed: number, from: number, to: number, step: number): number[] {
  const values: number[] = [];
  for (let t = from; t < to; t += step) values.push(Number(simulatedValue(p, seed, t)));
  return values;
}

function correlation(a: number[], b: number[]): number {
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const ma = mean(a);
  const mb = mean(b);
  let cov = 0;
  let va = 0;
  let vb = 0;
  a.forEach((x, i) => {
    cov += (x - ma) * (b[i]! - mb);
    va += (x - ma) ** 2;
    vb += (b[i]! - mb) ** 2;
  });
  return cov / Math.sqrt(va * vb);
}

beforeAll(async () => {
  const library = await loadProfileLibrary(defaultProfilesDir());
  th = library.get('th-transmitter')!;
  pm = library.get('pm-sensor')!;
});

describe('simulatedValue: determinism and time steps', () => {
  it('is a pure function of point, seed and time', () => {
    const t = LOCAL_MIDNIGHT + 3.3 * HOUR;
    expect(simulatedValue(point(th, 'temperature'), 7, t)).toBe(simulatedValue(point(th, 'temperature'), 7, t));
    expect(simulatedValue(point(th, 'temperature'), 7, t)).not.toBe(simulatedValue(point(th, 'temperature'), 8, t));
  });

  it('holds its value through each one-second step', () => {
    const start = LOCAL_MIDNIGHT + 12_345_000;
    const value = simulatedValue(point(th, 'temperature'), 1, start);
    for (const offset of [0, 1, 250, 999]) expect(simulatedValue(point(th, 'temperature'), 1, start + offset)).toBe(value);
    expect(quantizeTime(start + 999)).toBe(start);
    expect(SIMULATION_STEP_MS).toBe(1000);
  });

  it('varies slowly: under 0.05 °C from one second to the next, but it does move', () => {
    const values = series(point(th, 'temperature'), 3, LOCAL_MIDNIGHT, LOCAL_MIDNIGHT + 600_000, 1000);
    const steps = values.slice(1).map((v, i) => Math.abs(v - values[i]!));
    expect(Math.max(...steps)).toBeLessThan(0.05);
    expect(Math.max(...values) - Math.min(...values)).toBeGreaterThan(0.01);
  });
});

describe('diurnal model', () => {
  it('without noise: mean − amplitude at minAtHour, mean at +6 h, mean + amplitude at +12 h (local time)', () => {
    const p = inline({ model: 'diurnal', mean: -22, amplitude: 6, minAtHour: 5 });
    expect(simulatedValue(p, 1, LOCAL_MIDNIGHT + 5 * HOUR)).toBeCloseTo(-28, 10);
    expect(simulatedValue(p, 1, LOCAL_MIDNIGHT + 11 * HOUR)).toBeCloseTo(-22, 10);
    expect(simulatedValue(p, 1, LOCAL_MIDNIGHT + 17 * HOUR)).toBeCloseTo(-16, 10);
  });

  it('the shipped transmitter: a Heilongjiang winter day, coldest around 05:00', () => {
    const temps = series(point(th, 'temperature'), 1, LOCAL_MIDNIGHT, LOCAL_MIDNIGHT + 24 * HOUR, 600_000);
    expect(Math.min(...temps)).toBeGreaterThanOrEqual(-28.3);
    expect(Math.max(...temps)).toBeLessThanOrEqual(-15.7);
    const coldestHour = (temps.indexOf(Math.min(...temps)) * 10) / 60;
    expect(coldestHour).toBeGreaterThanOrEqual(4);
    expect(coldestHour).toBeLessThanOrEqual(6);
  });

  it('humidity moves against temperature', () => {
    const temps = series(point(th, 'temperature'), 1, LOCAL_MIDNIGHT, LOCAL_MIDNIGHT + 48 * HOUR, 600_000);
    const humidity = series(point(th, 'humidity'), 1, LOCAL_MIDNIGHT, LOCAL_MIDNIGHT + 48 * HOUR, 600_000);
    expect(correlation(temps, humidity)).toBeLessThan(-0.9);
    expect(Math.min(...humidity)).toBeGreaterThanOrEqual(15);
    expect(Math.max(...humidity)).toBeLessThanOrEqual(100);
  });

  it('clamps to min and max', () => {
    const p = inline({ model: 'diurnal', mean: 0, amplitude: 10, min: -3, max: 4 });
    const values = series(p, 1, LOCAL_MIDNIGHT, LOCAL_MIDNIGHT + 24 * HOUR, HOUR);
    expect(Math.min(...values)).toBe(-3);
    expect(Math.max(...values)).toBe(4);
  });
});

describe('episodes model (PM2.5 smog)', () => {
  const month = { from: LOCAL_MIDNIGHT, to: LOCAL_MIDNIGHT + 30 * 24 * HOUR, step: HOUR };

  it('sits near the base between episodes and climbs well above it during them', () => {
    const pm25 = series(point(pm, 'pm25'), 1, month.from, month.to, month.step);
    const sorted = [...pm25].sort((a, b) => a - b);
    expect(sorted[0]).toBeGreaterThanOrEqual(0);
    expect(sorted[Math.floor(sorted.length * 0.3)]).toBeLessThan(45); // clean hours
    expect(sorted[sorted.length - 1]).toBeGreaterThan(120); // at least one smog episode a month
    expect(sorted[sorted.length - 1]).toBeLessThanOrEqual(260);
  });

  it('PM10 follows PM2.5 (shared stream) and stays above it', () => {
    const pm25 = series(point(pm, 'pm25'), 1, month.from, month.to, month.step);
    const pm10 = series(point(pm, 'pm10'), 1, month.from, month.to, month.step);
    expect(correlation(pm25, pm10)).toBeGreaterThan(0.95);
    pm10.forEach((v, i) => expect(v).toBeGreaterThan(pm25[i]!));
  });

  it('an episode is smooth: no hour-to-hour jump beyond a fifth of the peak', () => {
    const pm25 = series(point(pm, 'pm25'), 2, month.from, month.to, month.step);
    const jumps = pm25.slice(1).map((v, i) => Math.abs(v - pm25[i]!));
    expect(Math.max(...jumps)).toBeLessThan(50);
  });
});

describe('other models', () => {
  it('random-walk wanders within mean ± spread', () => {
    const p = inline({ model: 'random-walk', mean: 50, spread: 10, timescaleS: 600 });
    const values = series(p, 5, LOCAL_MIDNIGHT, LOCAL_MIDNIGHT + 24 * HOUR, 60_000);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(40);
    expect(Math.max(...values)).toBeLessThanOrEqual(60);
    expect(Math.max(...values) - Math.min(...values)).toBeGreaterThan(5);
  });

  it('toggle is on for its share of the period', () => {
    const p = inline({ model: 'toggle', periodS: 60, onFraction: 0.25 }, 'bool');
    let on = 0;
    for (let s = 0; s < 600; s++) if (simulatedValue(p, 1, LOCAL_MIDNIGHT + s * 1000) === true) on++;
    expect(on).toBe(150);
  });

  it('constant, and no simulation at all', () => {
    expect(simulatedValue(inline({ model: 'constant', value: 12.5 }), 1, LOCAL_MIDNIGHT)).toBe(12.5);
    expect(simulatedValue(inline(undefined), 1, LOCAL_MIDNIGHT)).toBe(0);
    expect(simulatedValue(inline(undefined, 'bool'), 1, LOCAL_MIDNIGHT)).toBe(false);
  });
});

describe('counter model (kWh, m³, rainfall totals)', () => {
  const counter = (extra: Record<string, unknown> = {}) => inline({ model: 'counter', start: 1000, since: '2026-01-01T00:00:00+08:00', perHour: 2, ...extra }, 'float32');
  const SINCE = Date.parse('2026-01-01T00:00:00+08:00');

  it('never decreases, second by second and hour by hour, whatever the seed and variation', () => {
    for (const [seed, variation] of [[1, 0.9], [2, 0.5], [3, 0], [4, 0.9]] as const) {
      const p = counter({ variation, timescaleS: 600 });
      const fine = series(p, seed, SINCE + 5 * HOUR, SINCE + 5 * HOUR + 3_600_000, 1000);
      const coarse = series(p, seed, SINCE, SINCE + 60 * 24 * HOUR, HOUR);
      for (const values of [fine, coarse]) values.slice(1).forEach((v, i) => expect(v).toBeGreaterThan(values[i]!));
    }
  });

  it('starts at start at `since`, holds it before, and grows at perHour on average within ±spread per device', () => {
    const p = counter();
    expect(simulatedValue(p, 1, SINCE)).toBe(1000);
    expect(simulatedValue(p, 1, SINCE - 10 * HOUR)).toBe(1000);
    const rates = [1, 2, 3, 4, 5, 6, 7, 8].map((seed) => (Number(simulatedValue(p, seed, SINCE + 1000 * HOUR)) - 1000) / 1000);
    for (const rate of rates) {
      expect(rate).toBeGreaterThanOrEqual(2 * 0.8 - 0.01);
      expect(rate).toBeLessThanOrEqual(2 * 1.2 + 0.01);
    }
    expect(new Set(rates.map((r) => r.toFixed(3))).size).toBeGreaterThan(4); // meters differ
  });

  it('is a pure function of seed and time (no history needed)', () => {
    const p = counter();
    const t = SINCE + 123.456 * HOUR;
    expect(simulatedValue(p, 9, t)).toBe(simulatedValue(p, 9, t));
  });
});

describe('step model and constant strings', () => {
  it('step holds one of its values per window, picked from the seed, likelier when repeated', () => {
    const p = inline({ model: 'step', values: [0, 0, 0, 1], everyS: 60 });
    const values = series(p, 1, LOCAL_MIDNIGHT, LOCAL_MIDNIGHT + 24 * HOUR, 60_000);
    expect(new Set(values)).toEqual(new Set([0, 1]));
    const ones = values.filter((v) => v === 1).length / values.length;
    expect(ones).toBeGreaterThan(0.15);
    expect(ones).toBeLessThan(0.35);
    expect(simulatedValue(p, 1, LOCAL_MIDNIGHT + 1000)).toBe(simulatedValue(p, 1, LOCAL_MIDNIGHT + 59_000));
    const flags = inline({ model: 'step', values: [true, false], everyS: 10 }, 'bool');
    expect(typeof simulatedValue(flags, 1, LOCAL_MIDNIGHT)).toBe('boolean');
  });

  it('a string point reads its constant, or "" without a simulation', () => {
    const make = (simulation: unknown) =>
      parseProfile({ name: 'x', manufacturer: 't', model: 't', measurement: 'air', source: 't', points: [{ name: 'v', table: 'holding', address: 0, type: 'string', length: 4, simulation }] }).points[0]!;
    expect(simulatedValue(make({ model: 'constant', value: 'TJ-01' }), 1, LOCAL_MIDNIGHT)).toBe('TJ-01');
    expect(simulatedValue(make(undefined), 1, LOCAL_MIDNIGHT)).toBe('');
  });

  it('episodes may dip below their base (air gap while the river rises)', () => {
    const p = inline({ model: 'episodes', base: 9000, peak: 4500, everyHours: 100, probability: 1, durationHours: [50, 90] });
    const values = series(p, 1, LOCAL_MIDNIGHT, LOCAL_MIDNIGHT + 400 * HOUR, HOUR);
    expect(Math.max(...values)).toBe(9000);
    expect(Math.min(...values)).toBeLessThan(7500);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(4500);
  });
});

describe('the shipped library is plausible for Tongjiang in winter', () => {
  let library: Map<string, DeviceProfile>;
  beforeAll(async () => {
    library = await loadProfileLibrary(defaultProfilesDir());
  });
  const month = (p: ProfilePoint, seed = 1) => series(p, seed, LOCAL_MIDNIGHT, LOCAL_MIDNIGHT + 30 * 24 * HOUR, HOUR / 2);
  const at = (profile: string, name: string) => point(library.get(profile)!, name);

  it.each([
    { what: 'soil temperature below zero', profile: 'jxct-soil-7in1', name: 'temperature', low: -12, high: -4 },
    { what: 'river stage a few metres (mm)', profile: 'hlk-ld8001h', name: 'water_level', low: 2900, high: 7600 },
    { what: 'gas near 0 %LEL', profile: 'generic-lel-gas-detector', name: 'concentration', low: 0, high: 36 },
    { what: 'dose rate ~0.08–0.15 µSv/h', profile: 'generic-gamma-dose-rate', name: 'dose_rate', low: 0.08, high: 0.16 },
    { what: 'CO2 around 440 ppm', profile: 'senseair-s8', name: 'co2', low: 400, high: 480 },
    { what: 'wind speed 0–30 m/s', profile: 'renke-rs-fs-n01', name: 'wind_speed', low: 0, high: 30 },
    { what: 'single-phase voltage', profile: 'chint-ddsu666', name: 'voltage', low: 215, high: 237 },
  ])('$what', ({ profile, name, low, high }) => {
    const values = month(at(profile, name));
    expect(Math.min(...values)).toBeGreaterThanOrEqual(low);
    expect(Math.max(...values)).toBeLessThanOrEqual(high);
  });

  it('gas is at (or within noise of) zero most of the time', () => {
    const values = month(at('generic-lel-gas-detector', 'concentration'));
    expect(values.filter((v) => v < 1).length / values.length).toBeGreaterThan(0.95);
  });

  it('water level and air gap move together: their sum stays near the 12 m installation height', () => {
    const level = month(at('hlk-ld8001h', 'water_level'));
    const gap = month(at('hlk-ld8001h', 'air_gap'));
    level.forEach((v, i) => expect(Math.abs(v + gap[i]! - 12000)).toBeLessThan(60));
  });

  it('energy counters never decrease', () => {
    for (const [profile, name] of [['chint-ddsu666', 'import_energy'], ['chint-dtsu666', 'import_energy'], ['tuf-2000m', 'positive_total'], ['xunchip-xm9505-rain', 'rainfall']] as const) {
      const values = month(at(profile, name));
      values.slice(1).forEach((v, i) => expect(v, `${profile} ${name}`).toBeGreaterThanOrEqual(values[i]!));
    }
  });
});

describe('servedValue: what a Modbus reader decodes', () => {
  it('is the model value at the register resolution', () => {
    for (let t = LOCAL_MIDNIGHT; t < LOCAL_MIDNIGHT + 24 * HOUR; t += 977_000) {
      const model = Number(simulatedValue(point(th, 'temperature'), 1, t));
      expect(servedValue(point(th, 'temperature'), 1, t)).toBe(Math.round(model * 10) / 10);
      expect(servedValue(point(pm, 'pm25'), 1, t)).toBe(Math.round(Number(simulatedValue(point(pm, 'pm25'), 1, t))));
    }
  });
});
