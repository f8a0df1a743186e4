// Table-driven cases for telling refused writes from outages.
import { AbortError, HttpError, RequestTimedOutError } from '@influxdata/influxdb-client';
import { describe, expect, it } from 'vitest';
import { RejectedWriteError } from '../types.js';
import { describeInfluxError, writeFailure } from './errors.js';

const json = (status: number, body: object): HttpError =>
  new HttpError(status, 'x', JSON.stringify(body), undefined, 'application/json');
const refused = 'partial write: field type conflict: input field "v" on measurement "m" is type string, already exists as type float dropped=1';

describe('writeFailure', () => {
  it.each<[string, unknown, boolean, RegExp]>([
    ['400 from 1.x', json(400, { error: refused }), true, /refused the data: HTTP 400: partial write: field type conflict/],
    ['413', new HttpError(413, 'Request Entity Too Large', 'too big'), true, /HTTP 413: too big/],
    ['422 from 2.x', json(422, { code: 'unprocessable entity', message: 'points beyond retention policy' }), true, /HTTP 422: points beyond retention/],
    ['401', json(401, { error: 'authorization failed' }), false, /write failed: HTTP 401: authorization failed/],
    ['404 (no database)', json(404, { error: 'database not found: "x"' }), false, /HTTP 404: database not found/],
    ['500', new HttpError(500, 'Internal Server Error'), false, /HTTP 500 Internal Server Error/],
    ['503 with text', new HttpError(503, 'Service Unavailable', 'overloaded', undefined, 'text/plain'), false, /HTTP 503: overloaded/],
    ['connection refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), false, /ECONNREFUSED 127\.0\.0\.1:1/],
    ['our deadline', new AbortError(), false, /no answer within 250 ms/],
    ['socket idle timeout', new RequestTimedOutError(), false, /no answer within 250 ms/],
  ])('%s', (_name, cause, isRefusal, message) => {
    const err = writeFailure(cause, 250);
    expect(err instanceof RejectedWriteError).toBe(isRefusal);
    expect(err.message).toMatch(message);
    expect(err.cause).toBe(cause);
  });

  it('describes non-errors too', () => {
    expect(describeInfluxError('boom', 1)).toBe('boom');
  });
});
