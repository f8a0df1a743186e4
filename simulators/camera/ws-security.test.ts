// WS-Security UsernameToken digest: the formula against a hand-made vector, and the verdicts on
// tokens as the gateway's client writes them (its envelope, read by the simulator's parser).
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { soapEnvelope, usernameToken } from '../../gateway/cameras/soap.js';
import { parseSoapRequest } from './soap.js';
import { passwordDigest, readUsernameToken, verifyUsernameToken, type Credentials } from './ws-security.js';

const account = { username: 'admin', password: 'Tongjiang-2026' };
const T0 = Date.UTC(2026, 0, 15, 21, 0, 0);
const nonce = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');

function tokenOf({ username, password }: Credentials, createdMs: number) {
  const header = usernameToken(username, password, new Date(createdMs), nonce);
  return readUsernameToken(parseSoapRequest(soapEnvelope('<tds:GetDeviceInformation/>', header)).header);
}

describe('passwordDigest', () => {
  it('is Base64(SHA-1(nonce + created + password))', () => {
    const created = '2026-01-15T21:00:00.000Z';
    const expected = createHash('sha1').update(Buffer.concat([nonce, Buffer.from(created), Buffer.from(account.password)])).digest('base64');
    expect(passwordDigest(nonce, created, account.password)).toBe(expected);
  });
});

describe('verifyUsernameToken', () => {
  const opts = { nowMs: T0, maxClockSkewMs: 300_000 };
  it('accepts the token the gateway writes (as node-onvif writes it: digest, nonce, Created)', () => {
    const token = tokenOf(account, T0);
    expect(token).toMatchObject({ username: 'admin', nonce: nonce.toString('base64'), created: '2026-01-15T21:00:00.000Z' });
    expect(verifyUsernameToken(token, account, opts)).toEqual({ ok: true, username: 'admin' });
  });

  it.each([
    ['no token', undefined, 'missing'],
    ['wrong password', tokenOf({ ...account, password: 'guess' }, T0), 'wrong-password'],
    ['other user', tokenOf({ ...account, username: 'root' }, T0), 'unknown-user'],
    ['Created 10 min ahead', tokenOf(account, T0 + 600_000), 'clock-skew'],
    ['clear-text password', { username: 'admin', password: account.password, passwordType: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText', nonce: undefined, created: undefined }, 'not-digest'],
    ['no Created', { username: 'admin', password: 'x', passwordType: '#PasswordDigest', nonce: 'AAAA', created: undefined }, 'malformed'],
  ] as const)('%s → %s', (_name, token, reason) => {
    expect(verifyUsernameToken(token, account, opts)).toEqual({ ok: false, reason });
  });

  it('Created 4 min behind passes the 5 min window; Infinity turns the check off', () => {
    expect(verifyUsernameToken(tokenOf(account, T0 - 240_000), account, opts).ok).toBe(true);
    expect(verifyUsernameToken(tokenOf(account, T0 - 86_400_000), account, { nowMs: T0, maxClockSkewMs: Infinity }).ok).toBe(true);
  });
});
