// The hourly and daily AQI reports from hand-made hourly values: which hour and day a time
// reports on, the validity rules (too little data → no number and a reason), footnotes
// across indicators, rounding before rating, missing pollutants, primary pollutants.
import { describe, expect, it } from 'vitest';
import { HOUR_MS, dailyMax8h, hourTable, mergeSeries, movingMean, type HourTable } from './averaging.js';
import { buildReports, localTime, reportTimes, type AqiReport } from './report.js';
import { POLLUTANTS, STANDARDS, VALIDITY, type PollutantId, type StandardId } from './standards.js';

const H = HOUR_MS;
const AT = Date.UTC(2026, 0, 15, 6, 30); // 14:30 in Tongjiang (UTC+8)
const times = reportTimes(AT, 8);

/** Sets hours [from, to) to `mean` with `minutes` of data each. */
function fill(table: HourTable, from: number, to: number, mean: number, minutes = 60): HourTable {
  for (let start = from; start < to; start += H) table.set(start, { mean, minutes });
  return table;
}
/** Every hour either report could look at. */
const steady = (mean: number) => fill(new Map(), times.dayStart - 24 * H, times.hourEnd, mean);

function reports(hours: Partial<Record<PollutantId, HourTable>>, standard: StandardId = 'HJ633-2026') {
  return buildReports({ standard: STANDARDS[standard], validity: VALIDITY, pollutants: POLLUTANTS, hours, times });
}
const indicator = (report: AqiReport, id: string) => {
  const found = report.indicators.find((i) => i.id === id);
  if (!found) throw new Error(`no indicator ${id} in ${report.indicators.map((i) => i.id).join(', ')}`);
  return found;
};
const iaqis = (report: AqiReport) => Object.fromEntries(report.indicators.map((i) => [i.id, i.iaqi]));

describe('which hour and which day', () => {
  it.each<[string, string, string, string]>([
    // at (UTC)                 hour of the hourly report ends   day of the daily report (UTC+8 midnight to midnight)
    ['2026-01-15T06:30:00Z', '2026-01-15T06:00:00.000Z', '2026-01-13T16:00:00.000Z', '2026-01-14T16:00:00.000Z'],
    ['2026-01-15T06:00:00Z', '2026-01-15T06:00:00.000Z', '2026-01-13T16:00:00.000Z', '2026-01-14T16:00:00.000Z'],
    ['2026-01-14T16:00:00Z', '2026-01-14T16:00:00.000Z', '2026-01-13T16:00:00.000Z', '2026-01-14T16:00:00.000Z'],
    ['2026-01-14T15:59:59Z', '2026-01-14T15:00:00.000Z', '2026-01-12T16:00:00.000Z', '2026-01-13T16:00:00.000Z'],
  ])('at %s: hour ending %s, day %s – %s', (at, hourEnd, dayStart, dayEnd) => {
    const t = reportTimes(Date.parse(at), 8);
    expect([t.hourEnd, t.dayStart, t.dayEnd].map((ms) => new Date(ms).toISOString())).toEqual([hourEnd, dayStart, dayEnd]);
  });

  it('labels periods in local time', () => {
    expect(localTime(times.hourEnd, 8)).toBe('2026-01-15T14:00:00+08:00');
    const { hourly, daily } = reports({ pm25: steady(10) });
    expect(hourly.period).toEqual({ from: '2026-01-15T05:00:00.000Z', to: '2026-01-15T06:00:00.000Z', label: 'hour ending 2026-01-15T14:00:00+08:00' });
    expect(daily.period).toEqual({ from: '2026-01-13T16:00:00.000Z', to: '2026-01-14T16:00:00.000Z', label: 'day 2026-01-14 (UTC+8)' });
  });
});

describe('a site measuring all six pollutants', () => {
  const hours = { pm25: steady(100), pm10: steady(150), so2: steady(300), no2: steady(150), co: steady(7), o3: steady(180) };

  it('HJ 633-2026: hand-computed IAQIs, AQI, primary and exceedance pollutants', () => {
    const { hourly, daily } = reports(hours, 'HJ633-2026');
    expect(iaqis(hourly)).toEqual({
      so2_1h: 72, // 50 + 50·(300−150)/(500−150) = 71.43
      no2_1h: 75, // 50 + 50·(150−100)/(200−100)
      co_1h: 70, // 50 + 50·(7−5)/(10−5)
      o3_1h: 75, // 50 + 50·(180−160)/(200−160)
      o3_8h: 119, // 100 + 50·(180−160)/(215−160) = 118.18
      pm10_1h: 112, // 100 + 50·(150−120)/(250−120) = 111.54
      pm25_1h: 137, // 100 + 50·(100−60)/(115−60) = 136.36
      pm10_24h: 112, pm25_24h: 137, // beside the AQI, not in it
      so2_24h: 124, // 100 + 50·(300−150)/(475−150) = 123.08
    });
    expect(hourly).toMatchObject({
      aqi: 137, level: 3, category: { zh: '轻度污染', en: 'Lightly polluted' }, colour: { en: 'orange', rgb: [255, 126, 0], hex: '#FF7E00' },
      primaryPollutants: [{ indicator: 'pm25_1h', pollutant: 'pm25', symbol: 'PM2.5', iaqi: 137 }],
      complete: true, unavailable: [], note: null,
    });
    expect(hourly.exceedancePollutants.map((p) => p.indicator)).toEqual(['o3_8h', 'pm10_1h', 'pm25_1h']);
    expect(iaqis(daily)).toEqual({
      so2_24h: 124, // 100 + 50·(300−150)/(475−150)
      no2_24h: 135, // 100 + 50·(150−80)/(180−80)
      co_24h: 115, // 100 + 50·(7−4)/(14−4)
      pm10_24h: 112, pm25_24h: 137, o3_1h_max: 75, o3_8h_max: 119,
    });
    expect(daily).toMatchObject({ aqi: 137, level: 3, primaryPollutants: [{ indicator: 'pm25_24h' }], complete: true });
    expect(daily.exceedancePollutants.map((p) => p.indicator)).toEqual(['so2_24h', 'no2_24h', 'co_24h', 'pm10_24h', 'pm25_24h', 'o3_8h_max']);
  });

  it('HJ 633-2012: the same air rates lower on PM, so NO2 leads the day', () => {
    const { hourly, daily } = reports(hours, 'HJ633-2012');
    expect(indicator(hourly, 'pm25_1h').iaqi).toBe(132); // 100 + 50·25/40 = 131.25
    expect(indicator(hourly, 'pm10_1h').iaqi).toBe(100); // on the breakpoint
    expect(hourly).toMatchObject({ aqi: 132, primaryPollutants: [{ indicator: 'pm25_1h' }] });
    expect(hourly.exceedancePollutants.map((p) => p.indicator)).toEqual(['o3_8h', 'pm25_1h']);
    expect(daily).toMatchObject({ aqi: 135, level: 3, primaryPollutants: [{ indicator: 'no2_24h', symbol: 'NO2', iaqi: 135 }] });
  });

  it('ties: every pollutant with the highest IAQI is primary', () => {
    // NO2 512.5 → rounded to 512 → 100 + 50·312/500 = 131.2 → 132, as PM2.5 100 under 2012.
    const { hourly } = reports({ pm25: steady(100), no2: steady(512.5) }, 'HJ633-2012');
    expect(hourly.aqi).toBe(132);
    expect(hourly.primaryPollutants.map((p) => p.indicator)).toEqual(['no2_1h', 'pm25_1h']);
  });
});

describe('what the site has', () => {
  it('AQI of 50 or less: no primary pollutant; missing pollutants named; a lower bound', () => {
    const { hourly } = reports({ pm25: steady(20) });
    expect(hourly).toMatchObject({ aqi: 29, level: 1, category: { zh: '优' }, colour: { hex: '#00E400' }, primaryPollutants: [], exceedancePollutants: [], complete: false });
    expect(hourly.note).toMatch(/AQI over 1 of 7 indicators; without SO2 \(no readings\), NO2 \(no readings\), CO \(no readings\), O3 \(no readings\), PM10 \(no readings\).*lower bound/);
    expect(hourly.indicators.map((i) => i.id)).toEqual(['pm25_1h', 'pm25_24h']);
  });

  it('nothing measured: no AQI, and says so', () => {
    const { hourly, daily } = reports({});
    for (const report of [hourly, daily]) {
      expect(report).toMatchObject({ aqi: null, level: null, category: null, colour: null, primaryPollutants: [], complete: false, indicators: [] });
      expect(report.note).toMatch(/none of the six pollutants/);
    }
  });

  it('concentrations are rounded before rating: PM2.5 35.4 → 35 → IAQI 50, CO 2.04 → 2.0', () => {
    const { hourly } = reports({ pm25: steady(35.4), co: steady(2.04) });
    expect(indicator(hourly, 'pm25_1h')).toMatchObject({ concentration: 35, unrounded: 35.4, iaqi: 50, unit: 'µg/m³' });
    expect(indicator(hourly, 'co_1h')).toMatchObject({ concentration: 2, unrounded: 2.04, iaqi: 20, unit: 'mg/m³' }); // 50·2/5
    expect(hourly).toMatchObject({ aqi: 50, primaryPollutants: [] });
  });

  it('beyond the top of the scale: 500 with a note', () => {
    const { hourly } = reports({ pm25: steady(620) });
    expect(indicator(hourly, 'pm25_1h')).toMatchObject({ iaqi: 500, beyondScale: true, notes: expect.arrayContaining([expect.stringMatching(/top of the scale/)]) });
    expect(hourly).toMatchObject({ aqi: 500, level: 6, category: { en: 'Severely polluted' } });
  });
});

describe('validity rules: too little data gives no number, and a reason', () => {
  const hourStart = times.hourEnd - H;

  it('an hourly value needs 45 minutes of data', () => {
    const short = fill(steady(100), hourStart, times.hourEnd, 100, 44);
    const pm = indicator(reports({ pm25: short }).hourly, 'pm25_1h');
    expect(pm).toMatchObject({ concentration: null, iaqi: null, coverage: { sufficient: false, have: 44, need: 45, of: 60, unit: 'minutes' } });
    expect(pm.reason).toBe('insufficient data: 44 of 60 minutes; an hourly mean needs at least 45');
    const hourly = reports({ pm25: short }).hourly;
    expect(hourly).toMatchObject({ aqi: null, unavailable: [{ indicator: 'pm25_1h', reason: pm.reason }] });
    expect(hourly.note).toMatch(/no indicator had enough data/);

    const enough = fill(steady(100), hourStart, times.hourEnd, 100, 45);
    expect(indicator(reports({ pm25: enough }).hourly, 'pm25_1h')).toMatchObject({ iaqi: 137, coverage: { sufficient: true, have: 45 } });
  });

  it('an 8-hour mean needs 6 valid hours; an hour with 44 minutes is not one', () => {
    const o3 = (validHours: number) => {
      const table: HourTable = new Map();
      fill(table, times.hourEnd - 8 * H, times.hourEnd, 120, 44);
      return fill(table, times.hourEnd - validHours * H, times.hourEnd, 180);
    };
    expect(indicator(reports({ o3: o3(5) }).hourly, 'o3_8h')).toMatchObject({ iaqi: null, coverage: { sufficient: false, have: 5, need: 6, of: 8, unit: 'hourly values' } });
    expect(indicator(reports({ o3: o3(6) }).hourly, 'o3_8h')).toMatchObject({ concentration: 180, iaqi: 119, coverage: { sufficient: true, have: 6 } });
  });

  it('a daily mean needs 20 valid hours of the natural day and averages those', () => {
    const day = (validHours: number) => fill(fill(new Map(), times.dayStart, times.dayEnd, 999, 30), times.dayStart, times.dayStart + validHours * H, 75);
    expect(indicator(reports({ pm25: day(19) }).daily, 'pm25_24h')).toMatchObject({ iaqi: null, coverage: { have: 19, need: 20, of: 24 } });
    expect(indicator(reports({ pm25: day(19) }).daily, 'pm25_24h').reason).toBe('insufficient data: 19 of 24 hourly values; a daily (24-hour) mean needs at least 20');
    expect(indicator(reports({ pm25: day(20) }, 'HJ633-2012').daily, 'pm25_24h')).toMatchObject({ concentration: 75, iaqi: 100, coverage: { sufficient: true, have: 20 } });
  });

  it('O3 daily maximum 8-hour mean needs 14 valid 8-hour means, unless it already exceeds the limit', () => {
    // Valid hours 00:00–18:00 of the day: 8-hour means ending 08:00 … 20:00 have ≥ 6 hours (13 of 17).
    const o3 = (value: number) => fill(new Map(), times.dayStart, times.dayStart + 18 * H, value);
    expect(dailyMax8h(o3(100), times.dayStart, 45, 6)).toEqual({ value: 100, have: 13, of: 17 });
    const low = reports({ o3: o3(100) }).daily;
    expect(indicator(low, 'o3_8h_max')).toMatchObject({ iaqi: null, coverage: { sufficient: false, have: 13, need: 14, of: 17, unit: '8-hour means' } });
    expect(indicator(low, 'o3_1h_max')).toMatchObject({ iaqi: null, coverage: { sufficient: false, have: 18, need: 20 } });
    expect(low.aqi).toBeNull();

    const high = reports({ o3: o3(250) }).daily;
    const max8h = indicator(high, 'o3_8h_max');
    expect(max8h).toMatchObject({ concentration: 250, iaqi: 185, coverage: { sufficient: true, have: 13 } }); // 150 + 50·35/50
    expect(max8h.notes.join(' ')).toMatch(/exceeds the limit 160/);
    expect(indicator(high, 'o3_1h_max')).toMatchObject({ concentration: 250, iaqi: 125, coverage: { sufficient: true, have: 18 } }); // above 200
    expect(high).toMatchObject({ aqi: 185, level: 4, primaryPollutants: [{ indicator: 'o3_8h_max' }] });
  });
});

describe('footnotes across indicators', () => {
  it('SO2 1-hour above 800: the IAQI of the 24-hour moving mean', () => {
    const { hourly } = reports({ so2: steady(900) });
    // 24-hour column: 200 + 100·(900−800)/(1600−800) = 212.5 → 213
    expect(indicator(hourly, 'so2_1h')).toMatchObject({ concentration: 900, iaqi: 213, iaqiFrom: 'so2_24h' });
    expect(indicator(hourly, 'so2_1h').notes.join(' ')).toMatch(/above 800/);
    expect(hourly).toMatchObject({ aqi: 213, level: 5, primaryPollutants: [{ indicator: 'so2_1h' }] });
  });

  it('SO2 1-hour above 800 without a valid 24-hour mean: no IAQI, and why', () => {
    const { hourly } = reports({ so2: fill(new Map(), times.hourEnd - 10 * H, times.hourEnd, 900) });
    const so2 = indicator(hourly, 'so2_1h');
    expect(so2).toMatchObject({ concentration: 900, iaqi: null, iaqiFrom: 'so2_24h' });
    expect(so2.reason).toMatch(/replaces this IAQI by that of so2_24h, which is not available \(insufficient data: 10 of 24 hourly values/);
    expect(hourly.aqi).toBeNull();
  });

  it('O3 8-hour above 800: the IAQI of the 1-hour value', () => {
    const { hourly, daily } = reports({ o3: steady(900) });
    // 1-hour column: 300 + 100·(900−800)/(1000−800) = 350
    expect(indicator(hourly, 'o3_8h')).toMatchObject({ concentration: 900, iaqi: 350, iaqiFrom: 'o3_1h' });
    expect(indicator(daily, 'o3_8h_max')).toMatchObject({ iaqi: 350, iaqiFrom: 'o3_1h_max' });
    expect(hourly.primaryPollutants.map((p) => p.indicator)).toEqual(['o3_1h', 'o3_8h']);
  });
});

describe('averaging', () => {
  it('1-minute means → hourly values with the minutes that had data', () => {
    const base = Date.UTC(2026, 0, 15, 5);
    const table = hourTable([[base, 10], [base + 60_000, 20], [base + H, 40]]);
    expect([...table]).toEqual([[base, { mean: 15, minutes: 2 }], [base + H, { mean: 40, minutes: 1 }]]);
  });

  it('two sensors of one pollutant: per minute, the mean of those reporting', () => {
    expect(mergeSeries([[[0, 10], [60_000, 20]], [[60_000, 40], [120_000, 7]]])).toEqual([[0, 10], [60_000, 30], [120_000, 7]]);
  });

  it('moving means average the valid hours only', () => {
    const table = fill(fill(new Map(), 0, 8 * H, 10), 0, 2 * H, 40, 30);
    expect(movingMean(table, 8 * H, 8, 45)).toEqual({ value: 10, have: 6, of: 8 });
  });
});
