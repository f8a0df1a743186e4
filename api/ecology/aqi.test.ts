// IAQI/AQI arithmetic against tables copied by hand from shared/reference/DOMAIN.md §1
// (not from the data files, so a wrong edit of a data file fails here), for both versions:
// the check values, every breakpoint edge from both sides, hand-computed interior points,
// the footnotes, rounding up, levels and colours, primary and exceedance pollutants.
import { describe, expect, it } from 'vitest';
import { combine, hexColour, iaqi, levelOf, roundConcentration } from './aqi.js';
import { STANDARDS, parseStandard, type StandardId } from './standards.js';

const SCALE = [0, 50, 100, 150, 200, 300, 400, 500];

// DOMAIN.md §1, HJ 633-2012. null: no breakpoint (a footnote applies).
const HJ633_2012: Record<string, Array<number | null>> = {
  so2_24h: [0, 50, 150, 475, 800, 1600, 2100, 2620],
  so2_1h: [0, 150, 500, 650, 800, null, null, null],
  no2_24h: [0, 40, 80, 180, 280, 565, 750, 940],
  no2_1h: [0, 100, 200, 700, 1200, 2340, 3090, 3840],
  pm10_24h: [0, 50, 150, 250, 350, 420, 500, 600],
  co_24h: [0, 2, 4, 14, 24, 36, 48, 60],
  co_1h: [0, 5, 10, 35, 60, 90, 120, 150],
  o3_1h: [0, 160, 200, 300, 400, 800, 1000, 1200],
  o3_8h: [0, 100, 160, 215, 265, 800, null, null],
  pm25_24h: [0, 35, 75, 115, 150, 250, 350, 500],
};
// DOMAIN.md §1, HJ 633-2026: only the PM breakpoints change (⚠ there).
const HJ633_2026: Record<string, Array<number | null>> = {
  ...HJ633_2012,
  pm25_24h: [0, 35, 60, 115, 150, 250, 350, 500],
  pm10_24h: [0, 50, 120, 250, 350, 420, 500, 600],
};
const TABLES: Record<StandardId, Record<string, Array<number | null>>> = { 'HJ633-2012': HJ633_2012, 'HJ633-2026': HJ633_2026 };

const rate = (standard: StandardId, column: string, c: number) => iaqi(SCALE, STANDARDS[standard].columns[column]!, c);
const value = (standard: StandardId, column: string, c: number) => {
  const outcome = rate(standard, column, c);
  if (outcome.kind !== 'iaqi') throw new Error(`${column} ${c}: ${outcome.kind}`);
  return outcome.iaqi;
};

describe.each(Object.keys(TABLES) as StandardId[])('%s breakpoint tables', (id) => {
  it('the data file holds the published breakpoints and scale', () => {
    expect(STANDARDS[id].iaqiScale).toEqual(SCALE);
    expect(Object.fromEntries(Object.entries(STANDARDS[id].columns).map(([k, c]) => [k, c.breakpoints]))).toEqual(TABLES[id]);
  });

  // At every breakpoint: just below rounds up to its IAQI, on it gives its IAQI, just above
  // gives one more (the next segment, rounded up). δ is small enough that no slope of any
  // column moves the IAQI by a whole point (steepest: CO 24 h, 25 IAQI per mg/m³).
  const edges = Object.entries(TABLES[id]).flatMap(([column, bps]) => {
    const delta = column.startsWith('co_') ? 0.01 : 0.1;
    return bps.flatMap((bp, i): Array<[string, number, number]> => {
      if (bp === null) return [];
      const top = i === bps.length - 1 || bps[i + 1] === null;
      return [
        ...(i > 0 ? [[column, bp - delta, SCALE[i]!] as [string, number, number]] : []),
        [column, bp, SCALE[i]!],
        ...(top ? [] : [[column, bp + delta, SCALE[i]! + 1] as [string, number, number]]),
      ];
    });
  });
  it.each(edges)('%s %d → IAQI %d', (column, c, expected) => {
    expect(rate(id, column, c)).toEqual({ kind: 'iaqi', iaqi: expected, beyondScale: false });
  });
});

describe('IAQI: hand-computed interior points, rounded up', () => {
  // IAQI = lo + (hi − lo)·(C − BPlo)/(BPhi − BPlo), then the next integer up.
  it.each<[StandardId, string, number, number]>([
    ['HJ633-2012', 'pm25_24h', 100, 132], // DOMAIN.md check value: 100 + 50·25/40 = 131.25
    ['HJ633-2012', 'so2_24h', 100, 75], // DOMAIN.md check value: 50 + 50·50/100
    ['HJ633-2012', 'so2_24h', 1000, 225], // 200 + 100·200/800
    ['HJ633-2012', 'so2_24h', 2500, 477], // 400 + 100·400/520 = 476.92
    ['HJ633-2012', 'so2_1h', 300, 72], // 50 + 50·150/350 = 71.43
    ['HJ633-2012', 'so2_1h', 700, 167], // 150 + 50·50/150 = 166.67
    ['HJ633-2012', 'no2_24h', 100, 110], // 100 + 50·20/100
    ['HJ633-2012', 'no2_24h', 600, 319], // 300 + 100·35/185 = 318.92
    ['HJ633-2012', 'no2_1h', 150, 75], // 50 + 50·50/100
    ['HJ633-2012', 'no2_1h', 2000, 271], // 200 + 100·800/1140 = 270.18
    ['HJ633-2012', 'pm10_24h', 200, 125], // 100 + 50·50/100
    ['HJ633-2012', 'pm10_24h', 460, 350], // 300 + 100·40/80, exactly
    ['HJ633-2012', 'co_24h', 3, 75], // 50 + 50·1/2
    ['HJ633-2012', 'co_24h', 5.5, 108], // 100 + 50·1.5/10 = 107.5
    ['HJ633-2012', 'co_1h', 7, 70], // 50 + 50·2/5
    ['HJ633-2012', 'co_1h', 12.3, 105], // 100 + 50·2.3/25 = 104.6
    ['HJ633-2012', 'o3_1h', 180, 75], // 50 + 50·20/40
    ['HJ633-2012', 'o3_1h', 500, 225], // 200 + 100·100/400
    ['HJ633-2012', 'o3_8h', 130, 75], // 50 + 50·30/60
    ['HJ633-2012', 'o3_8h', 300, 207], // 200 + 100·35/535 = 206.54
    ['HJ633-2012', 'pm25_24h', 50, 69], // 50 + 50·15/40 = 68.75
    ['HJ633-2012', 'pm25_24h', 130, 172], // 150 + 50·15/35 = 171.43
    ['HJ633-2026', 'pm25_24h', 100, 137], // 100 + 50·40/55 = 136.36
    ['HJ633-2026', 'pm25_24h', 50, 80], // 50 + 50·15/25
    ['HJ633-2026', 'pm25_24h', 75, 114], // 100 + 50·15/55 = 113.64 (was 100 under 2012)
    ['HJ633-2026', 'pm10_24h', 100, 86], // 50 + 50·50/70 = 85.71
    ['HJ633-2026', 'pm10_24h', 150, 112], // 100 + 50·30/130 = 111.54 (was 100 under 2012)
    ['HJ633-2026', 'pm10_24h', 200, 131], // 100 + 50·80/130 = 130.77
    ['HJ633-2026', 'so2_24h', 100, 75], // unchanged column
  ])('%s %s %d → %d', (standard, column, c, expected) => {
    expect(value(standard, column, c)).toBe(expected);
  });

  it('zero and negative (sensor drift) concentrations are IAQI 0', () => {
    expect(value('HJ633-2026', 'pm25_24h', 0)).toBe(0);
    expect(value('HJ633-2026', 'o3_1h', -3)).toBe(0);
  });

  it('above the top breakpoint: the top of the scale, flagged', () => {
    expect(rate('HJ633-2012', 'pm25_24h', 620)).toEqual({ kind: 'iaqi', iaqi: 500, beyondScale: true });
    expect(rate('HJ633-2026', 'no2_1h', 4000)).toEqual({ kind: 'iaqi', iaqi: 500, beyondScale: true });
    expect(rate('HJ633-2026', 'co_24h', 60.1)).toEqual({ kind: 'iaqi', iaqi: 500, beyondScale: true });
  });

  it('refuses a concentration that is not a number', () => {
    expect(() => rate('HJ633-2026', 'pm25_24h', Number.NaN)).toThrow(/not a number/);
  });
});

describe.each(['HJ633-2012', 'HJ633-2026'] as StandardId[])('%s footnotes', (id) => {
  it('SO2 1-hour: up to 800 from its own column, above 800 from the 24-hour column', () => {
    expect(value(id, 'so2_1h', 800)).toBe(200);
    expect(rate(id, 'so2_1h', 800.1)).toEqual({ kind: 'substitute', use: 'so2_24h', footnote: expect.stringContaining('above 800') });
    expect(rate(id, 'so2_1h', 2000)).toMatchObject({ kind: 'substitute', use: 'so2_24h' });
  });

  it('O3 8-hour: up to 800 from its own column, above 800 from the 1-hour column', () => {
    expect(value(id, 'o3_8h', 800)).toBe(300);
    expect(value(id, 'o3_8h', 799.9)).toBe(300);
    expect(rate(id, 'o3_8h', 801)).toEqual({ kind: 'substitute', use: 'o3_1h', footnote: expect.stringContaining('above 800') });
  });
});

describe('levels, categories and colours', () => {
  it.each<[number, number, string, string, string]>([
    [0, 1, '优', 'Excellent', '#00E400'], [50, 1, '优', 'Excellent', '#00E400'],
    [51, 2, '良', 'Good', '#FFFF00'], [100, 2, '良', 'Good', '#FFFF00'],
    [101, 3, '轻度污染', 'Lightly polluted', '#FF7E00'], [150, 3, '轻度污染', 'Lightly polluted', '#FF7E00'],
    [151, 4, '中度污染', 'Moderately polluted', '#FF0000'], [200, 4, '中度污染', 'Moderately polluted', '#FF0000'],
    [201, 5, '重度污染', 'Heavily polluted', '#99004C'], [300, 5, '重度污染', 'Heavily polluted', '#99004C'],
    [301, 6, '严重污染', 'Severely polluted', '#7E0023'], [500, 6, '严重污染', 'Severely polluted', '#7E0023'],
  ])('AQI %d → level %d %s (%s) %s', (aqi, level, zh, en, hex) => {
    for (const standard of Object.values(STANDARDS)) {
      const found = levelOf(standard.levels, aqi);
      expect({ level: found.level, zh: found.category.zh, en: found.category.en, hex: hexColour(found.colour.rgb) }).toEqual({ level, zh, en, hex });
    }
  });

  it('RGB values as DOMAIN.md lists them', () => {
    expect(STANDARDS['HJ633-2026'].levels.map((l) => l.colour.rgb)).toEqual([[0, 228, 0], [255, 255, 0], [255, 126, 0], [255, 0, 0], [153, 0, 76], [126, 0, 35]]);
  });
});

describe('AQI, primary and exceedance pollutants', () => {
  const ind = (id: string, value: number | null, inAqi = true) => ({ id, iaqi: value, inAqi });

  it('the AQI is the largest IAQI; ties are all primary', () => {
    expect(combine([ind('pm25_24h', 132), ind('pm10_24h', 132), ind('o3_8h_max', 75)]))
      .toEqual({ aqi: 132, primary: ['pm25_24h', 'pm10_24h'], exceedance: ['pm25_24h', 'pm10_24h'] });
  });

  it('no primary pollutant at AQI 50 or below; one at 51', () => {
    expect(combine([ind('pm25_1h', 50), ind('o3_1h', 50)])).toEqual({ aqi: 50, primary: [], exceedance: [] });
    expect(combine([ind('pm25_1h', 51), ind('o3_1h', 50)])).toEqual({ aqi: 51, primary: ['pm25_1h'], exceedance: [] });
  });

  it('exceedance means IAQI above 100, not at 100', () => {
    expect(combine([ind('pm25_1h', 100), ind('no2_1h', 101)])).toEqual({ aqi: 101, primary: ['no2_1h'], exceedance: ['no2_1h'] });
  });

  it('indicators outside the AQI and indicators without an IAQI do not count', () => {
    expect(combine([ind('pm25_1h', 60), ind('pm25_24h', 180, false), ind('so2_1h', null)])).toEqual({ aqi: 60, primary: ['pm25_1h'], exceedance: [] });
    expect(combine([ind('so2_1h', null)])).toEqual({ aqi: null, primary: [], exceedance: [] });
  });
});

describe('concentration rounding (GB/T 8170, half to even)', () => {
  it.each<[number, number, number]>([
    [35.4, 0, 35], [35.6, 0, 36], [35.5, 0, 36], [34.5, 0, 34], [0.25, 1, 0.2], [0.35, 1, 0.4], [1.26, 1, 1.3], [2.04, 1, 2], [131.25, 0, 131],
  ])('%d to %d decimals → %d', (v, decimals, expected) => {
    expect(roundConcentration(v, decimals)).toBe(expected);
  });
});

describe('the data files are checked', () => {
  const base = () => structuredClone(STANDARDS['HJ633-2012']) as unknown as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

  it('accepts the shipped files', () => {
    expect(() => parseStandard(base())).not.toThrow();
  });

  it.each<[string, (d: Record<string, any>) => void, RegExp]>([ // eslint-disable-line @typescript-eslint/no-explicit-any
    ['breakpoints that do not rise', (d) => { d.columns.pm25_24h.breakpoints[3] = 70; }, /columns\.pm25_24h\.breakpoints\.3: breakpoints must rise/],
    ['a short column', (d) => { d.columns.no2_1h.breakpoints.pop(); }, /columns\.no2_1h\.breakpoints: needs 8 entries/],
    ['a column that stops without a footnote', (d) => { delete d.columns.o3_8h.above; }, /columns\.o3_8h\.above/],
    ['a footnote to a missing column', (d) => { d.columns.so2_1h.above.use = 'so2_8h'; }, /no column "so2_8h"/],
    ['an indicator on a column of another pollutant', (d) => { d.reports.daily.indicators[0].column = 'no2_24h'; }, /is a column of no2/],
    ['an unknown standard id', (d) => { d.id = 'HJ633-2020'; }, /id/],
  ])('refuses %s', (_name, breakIt, message) => {
    const data = base();
    breakIt(data);
    expect(() => parseStandard(data)).toThrow(message);
  });
});
