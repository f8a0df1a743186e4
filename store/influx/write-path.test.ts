// Table-driven cases for mapping v2 write requests onto InfluxDB 1.x's /write.
import { describe, expect, it } from 'vitest';
import { mapWritePathToV1 } from './write-path.js';

describe('mapWritePathToV1', () => {
  it.each([
    ['/api/v2/write?org=&bucket=shaobing&precision=ms', '/write?db=shaobing&precision=ms'],
    ['/api/v2/write?org=o&bucket=shaobing%2Fone_year&precision=s', '/write?db=shaobing&rp=one_year&precision=s'],
    // 1.6 reads the v2 spelling `us` as nanoseconds: it must become `u`.
    ['/api/v2/write?org=&bucket=db&precision=us', '/write?db=db&precision=u'],
    ['/api/v2/write?org=&bucket=db&precision=ns', '/write?db=db&precision=n'],
    ['/api/v2/write?org=&bucket=db%2Frp%2Fx&precision=ms&consistency=one', '/write?db=db&rp=rp%2Fx&precision=ms&consistency=one'],
    ['/api/v2/write?bucket=d%20b', '/write?db=d+b'],
    ['/query?db=shaobing&epoch=ms', '/query?db=shaobing&epoch=ms'],
    ['/ping', '/ping'],
    ['/api/v2/writer?bucket=x', '/api/v2/writer?bucket=x'],
  ])('%s → %s', (input, expected) => {
    expect(mapWritePathToV1(input)).toBe(expected);
  });

  it.each([
    ['/api/v2/write?org=&bucket=&precision=ms', /no database/],
    ['/api/v2/write?org=&bucket=%2Frp&precision=ms', /no database/],
    ['/api/v2/write?org=&bucket=db&precision=h', /precision/],
  ])('refuses %s', (input, message) => {
    expect(() => mapWritePathToV1(input)).toThrow(message);
  });
});
