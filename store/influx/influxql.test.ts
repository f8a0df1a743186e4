// Table-driven cases for the InfluxQL statements, including hostile names and values.
import { describe, expect, it } from 'vitest';
import {
  createDatabaseStatement, historyStatement, latestStatement, quoteIdentifier, quoteString, showFieldKeysStatement, tagConditions,
} from './influxql.js';

const db = { database: 'shaobing' };
const withRp = { database: 'shaobing', retentionPolicy: 'one_year' };
const GROUP = 'GROUP BY "site","gateway","device","profile"';

describe('quoting', () => {
  it.each([
    ['plain', '"plain"', "'plain'"],
    ['with "double" quotes', '"with \\"double\\" quotes"', "'with \"double\" quotes'"],
    ["with 'single' quotes", '"with \'single\' quotes"', "'with \\'single\\' quotes'"],
    ['back\\slash', '"back\\\\slash"', "'back\\\\slash'"],
    ["end\\' OR 1=1", '"end\\\\\' OR 1=1"', "'end\\\\\\' OR 1=1'"],
    ['line\nbreak', '"line\\nbreak"', "'line\\nbreak'"],
    ['数据', '"数据"', "'数据'"],
  ])('%j', (input, identifier, literal) => {
    expect(quoteIdentifier(input)).toBe(identifier);
    expect(quoteString(input)).toBe(literal);
  });
});

describe('statements', () => {
  it.each([
    ['create database', createDatabaseStatement('shao"bing'), 'CREATE DATABASE "shao\\"bing"'],
    ['all field keys', showFieldKeysStatement(undefined, db), 'SHOW FIELD KEYS'],
    ['all field keys of a retention policy', showFieldKeysStatement(undefined, withRp), 'SHOW FIELD KEYS FROM "one_year"./.*/'],
    ['field keys of one measurement', showFieldKeysStatement('air', withRp), 'SHOW FIELD KEYS FROM "one_year"."air"'],
    ['tag conditions', tagConditions({ site: "a'b", gateway: 'g', device: 'd', measurement: 'ignored' }).join(' AND '),
      `"site"::tag = 'a\\'b' AND "gateway"::tag = 'g' AND "device"::tag = 'd'`],
    ['latest, no filter', latestStatement('air', 'pm25', {}, db), `SELECT last("pm25"::field) FROM "air" ${GROUP}`],
    ['latest, filtered', latestStatement('air', 'pm25', { site: 'tj' }, withRp),
      `SELECT last("pm25"::field) FROM "one_year"."air" WHERE "site"::tag = 'tj' ${GROUP}`],
    ['history raw', historyStatement('air', 'pm25', { device: 'x' }, db, { from: 1000, to: 2000 }),
      `SELECT "pm25"::field FROM "air" WHERE time >= 1000ms AND time < 2000ms AND "device"::tag = 'x' ${GROUP} ORDER BY time ASC`],
    ['history raw with limit', historyStatement('air', 'pm25', {}, db, { from: 1000, to: 2000, limit: 5 }),
      `SELECT "pm25"::field FROM "air" WHERE time >= 1000ms AND time < 2000ms ${GROUP} ORDER BY time ASC LIMIT 5`],
    ['history windowed', historyStatement('air', 'pm25', {}, db, { from: 0, to: 60000, windowMs: 7000, aggregate: 'max', limit: 3 }),
      'SELECT max("pm25"::field) FROM "air" WHERE time >= 0ms AND time < 60000ms ' +
      'GROUP BY time(7000ms),"site","gateway","device","profile" fill(none) ORDER BY time ASC LIMIT 3'],
    ['hostile names stay names', latestStatement('air"; DROP DATABASE "x', 'f" FROM x; --', { site: "x' OR '1'='1" }, db),
      `SELECT last("f\\" FROM x; --"::field) FROM "air\\"; DROP DATABASE \\"x" WHERE "site"::tag = 'x\\' OR \\'1\\'=\\'1' ${GROUP}`],
  ])('%s', (_name, actual, expected) => {
    expect(actual).toBe(expected);
  });

  it.each([
    [{ from: 0.5, to: 1 }, /time bound/],
    [{ from: 0, to: 1, limit: 0 }, /limit/],
    [{ from: 0, to: 1, windowMs: 1000, aggregate: 'sum; DROP' as 'mean' }, /aggregate/],
  ])('refuses %o', (options, message) => {
    expect(() => historyStatement('air', 'pm25', {}, db, options)).toThrow(message);
  });
});
