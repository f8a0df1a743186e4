// Table-driven cases for reading /query JSON back into store results.
import { describe, expect, it } from 'vitest';
import { parseFieldKeys, parseQueryResponse, toHistorySeries, toLatestReadings, type InfluxSeries } from './query-results.js';

const tags = { site: 'tj', gateway: 'gw-1', device: 'd-1', profile: 'p' };
const key = { measurement: 'air', ...tags };

describe('parseQueryResponse', () => {
  it('splits series by statement id', () => {
    const body = {
      results: [
        { statement_id: 0, series: [{ name: 'air', tags, columns: ['time', 'last'], values: [[5, 1.5]] }] },
        { statement_id: 1 },
      ],
    };
    expect(parseQueryResponse(body, 2)).toEqual([[{ name: 'air', tags, columns: ['time', 'last'], values: [[5, 1.5]] }], []]);
  });

  it('reads a series flagged partial by 1.6\'s chunk merging as complete', () => {
    const body = { results: [{ statement_id: 0, series: [{ name: 'a', tags, columns: ['time', 'v'], values: [[1, 1], [2, 2]], partial: true }] }] };
    expect(parseQueryResponse(body, 1)[0]?.[0]?.values).toEqual([[1, 1], [2, 2]]);
  });

  it.each<[string, unknown, RegExp]>([
    ['a request error', { error: 'error parsing query: found x' }, /error parsing query/],
    ['a statement error', { results: [{ statement_id: 0, error: 'database not found: x' }] }, /statement 0 failed: database not found/],
    ['a truncated statement', { results: [{ statement_id: 0, partial: true }] }, /truncated/],
    ['no results', {}, /no results/],
    ['not an object', 'text', /not a JSON object/],
    ['an unknown statement', { results: [{ statement_id: 3 }] }, /unexpected statement id 3/],
    ['rows that are not arrays', { results: [{ statement_id: 0, series: [{ name: 'a', columns: ['time'], values: [1] }] }] }, /not rows/],
  ])('throws on %s', (_name, body, message) => {
    expect(() => parseQueryResponse(body, 1)).toThrow(message);
  });
});

describe('parseFieldKeys', () => {
  it('keeps numeric and boolean fields, drops sb_ meta fields and strings', () => {
    const series: InfluxSeries[] = [
      { name: 'air', tags: {}, columns: ['fieldKey', 'fieldType'], values: [['pm10', 'float'], ['sb_quality', 'string'], ['sb_seq', 'float'], ['note', 'string'], ['on', 'boolean'], ['n', 'integer']] },
      { name: 'meta_only', tags: {}, columns: ['fieldKey', 'fieldType'], values: [['sb_seq', 'float']] },
    ];
    expect([...parseFieldKeys(series)]).toEqual([['air', ['pm10', 'on', 'n']]]);
  });
});

describe('toLatestReadings / toHistorySeries', () => {
  const series: InfluxSeries[] = [
    { name: 'air', tags, columns: ['time', 'last'], values: [[1000, -2.5]] },
    { name: 'air', tags: { site: 'tj' }, columns: ['time', 'last'], values: [[2000, true]] },
    { name: 'air', tags, columns: ['time', 'last'], values: [[3000, null]] },
  ];

  it('reads one reading per series; missing tags are empty strings; booleans are 1/0; nulls are skipped', () => {
    expect(toLatestReadings('air', 'pm25', series)).toEqual([
      { ...key, field: 'pm25', ts: 1000, value: -2.5 },
      { measurement: 'air', site: 'tj', gateway: '', device: '', profile: '', field: 'pm25', ts: 2000, value: 1 },
    ]);
  });

  it('reads points in the order given and drops series without points', () => {
    const history: InfluxSeries[] = [{ name: 'air', tags, columns: ['time', 'mean'], values: [[0, 1], [60000, null], [120000, 3]] }, series[2] as InfluxSeries];
    expect(toHistorySeries('air', 'pm25', history)).toEqual([{ ...key, field: 'pm25', points: [[0, 1], [120000, 3]] }]);
  });

  it('refuses RFC3339 times (a query sent without epoch=ms)', () => {
    expect(() => toHistorySeries('air', 'f', [{ name: 'air', tags, columns: ['time', 'f'], values: [['2026-11-28T00:00:00Z', 1]] }])).toThrow(/epoch/);
  });
});
