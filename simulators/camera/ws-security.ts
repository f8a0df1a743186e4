// WS-Security UsernameToken with PasswordDigest, as ONVIF requires on every authenticated SOAP
// call: Digest = Base64(SHA-1(nonce bytes + Created + password)). The device side only: reading
// the token from a request header and checking it, pure (it takes the parsed header and the
// time). Clients build their tokens with the gateway's usernameToken (gateway/cameras/soap.ts).
import { createHash, timingSafeEqual } from 'node:crypto';
import { attr, path, text, type XmlNode } from '../../lib/xml.js';

export interface Credentials {
  username: string;
  password: string;
}

export function passwordDigest(nonce: Buffer, created: string, password: string): string {
  return createHash('sha1').update(Buffer.concat([nonce, Buffer.from(created, 'utf8'), Buffer.from(password, 'utf8')])).digest('base64');
}

export interface UsernameToken {
  username: string;
  password: string;
  /** The Password element's Type attribute; absent means PasswordText (WSS UsernameToken profile). */
  passwordType: string | undefined;
  nonce: string | undefined;
  created: string | undefined;
}

/** The UsernameToken of a SOAP header, or undefined when there is none. */
export function readUsernameToken(header: XmlNode | undefined): UsernameToken | undefined {
  const token = path(header, 'Security', 'UsernameToken');
  if (token === undefined) return undefined;
  const password = path(token, 'Password');
  return {
    username: text(path(token, 'Username')) ?? '',
    password: text(password) ?? '',
    passwordType: attr(password, 'Type'),
    nonce: text(path(token, 'Nonce')),
    created: text(path(token, 'Created')),
  };
}

export type TokenVerdict =
  | { ok: true; username: string }
  | { ok: false; reason: 'missing' | 'unknown-user' | 'wrong-password' | 'not-digest' | 'malformed' | 'clock-skew' };

export interface VerifyOptions {
  /** The simulator's time, ms since the epoch. */
  nowMs: number;
  /**
   * Largest accepted distance between Created and the device clock. Real cameras differ
   * (Hikvision refuses a few minutes of skew, others never look); clients learn the device
   * clock from GetSystemDateAndTime first, as node-onvif does, so a bounded window is fair.
   * Infinity turns the check off.
   */
  maxClockSkewMs: number;
}

/**
 * Checks a UsernameToken against the device's one account. PasswordText is refused: ONVIF
 * devices must support the digest, and a test double that accepted clear text would let a
 * client that leaks passwords over plain HTTP pass its tests. Nonces are not remembered
 * (no replay cache), as on most cameras.
 */
export function verifyUsernameToken(token: UsernameToken | undefined, account: Credentials, { nowMs, maxClockSkewMs }: VerifyOptions): TokenVerdict {
  if (!token) return { ok: false, reason: 'missing' };
  if (!token.passwordType?.endsWith('#PasswordDigest')) return { ok: false, reason: 'not-digest' };
  if (token.nonce === undefined || token.created === undefined) return { ok: false, reason: 'malformed' };
  const createdMs = Date.parse(token.created);
  if (Number.isNaN(createdMs)) return { ok: false, reason: 'malformed' };
  if (token.username !== account.username) return { ok: false, reason: 'unknown-user' };
  const expected = Buffer.from(passwordDigest(Buffer.from(token.nonce, 'base64'), token.created, account.password), 'base64');
  const given = Buffer.from(token.password, 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'wrong-password' };
  // Checked after the digest so that a wrong password is reported as such whatever the clock says.
  if (Math.abs(createdMs - nowMs) > maxClockSkewMs) return { ok: false, reason: 'clock-skew' };
  return { ok: true, username: token.username };
}
