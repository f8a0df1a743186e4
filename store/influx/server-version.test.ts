// Table-driven cases for reading the server version and choosing endpoint and auth.
import { describe, expect, it } from 'vitest';
import { authorizationHeader, hasV2WriteEndpoint, parseServerVersion } from './server-version.js';

describe('parseServerVersion / hasV2WriteEndpoint', () => {
  it.each([
    ['1.6.7~rc0', 1, 6, false],
    ['1.7.11', 1, 7, false],
    ['1.8.10', 1, 8, true],
    ['v2.7.4', 2, 7, true],
    ['3.0.1', 3, 0, true],
    [undefined, 2, 0, true],
    ['', 2, 0, true],
    ['unknown', 2, 0, true],
  ])('%j → %i.%i, v2 writes: %s', (header, major, minor, v2) => {
    const version = parseServerVersion(header);
    expect([version.major, version.minor]).toEqual([major, minor]);
    expect(hasV2WriteEndpoint(version)).toBe(v2);
  });

  it('takes the first of repeated headers', () => {
    expect(parseServerVersion(['1.6.7', '2.0.0']).major).toBe(1);
  });
});

describe('authorizationHeader', () => {
  const v1 = parseServerVersion('1.6.7');
  const v2 = parseServerVersion('v2.7.4');
  const basic = (user: string, pass: string): string => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
  it.each([
    ['nothing', {}, v1, undefined],
    ['1.x user', { username: 'ingest', password: 'p:w' }, v1, basic('ingest', 'p:w')],
    ['1.x user wins over a token', { username: 'ingest', password: 'pw', token: 't' }, v1, basic('ingest', 'pw')],
    ['2.x token', { token: 'secret' }, v2, 'Token secret'],
    ['2.x token wins over a user', { username: 'u', password: 'pw', token: 'secret' }, v2, 'Token secret'],
    ['2.x user only', { username: 'u', password: 'tok' }, v2, basic('u', 'tok')],
    ['1.8 token (user:password)', { token: 'u:p' }, parseServerVersion('1.8.10'), 'Token u:p'],
  ])('%s', (_name, credentials, version, expected) => {
    expect(authorizationHeader(credentials, version)).toBe(expected);
  });
});
