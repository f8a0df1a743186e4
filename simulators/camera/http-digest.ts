// HTTP Digest authentication (RFC 7616 / 2617, MD5, qop=auth) for the snapshot URL, as IP
// cameras do it. Basic is refused: real cameras ship with it off, and node-onvif tries Basic
// first and only answers a `Digest realm=...` challenge, so refusing it exercises that path.
//
// node-onvif's header parser splits the challenge on commas and '=' and reads the realm from a
// key literally named `Digest realm`, so the challenge lists realm first and no value may hold
// ',' or '='; our nonces are hex. Pure: nonces are stateless (issue time + HMAC), checked
// against an injected clock; nc values are not tracked (no replay cache, like most cameras).
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Credentials } from './ws-security.js';

export const DIGEST_REALM = 'Shaobing IP Camera';

const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');

export class DigestNonces {
  private readonly secret: Buffer;
  constructor(
    private readonly clock: () => number,
    /** How long a nonce is good for; an older one gets a `stale=true` challenge. */
    private readonly lifetimeMs = 300_000,
    secret?: Buffer,
  ) {
    this.secret = secret ?? randomBytes(32);
  }

  private mac(issued: string): string {
    return createHmac('sha256', this.secret).update(issued).digest('hex').slice(0, 32);
  }

  issue(): string {
    const issued = Math.max(0, Math.floor(this.clock())).toString(16).padStart(12, '0');
    return issued + this.mac(issued);
  }

  check(nonce: string): 'valid' | 'stale' | 'invalid' {
    if (!/^[0-9a-f]{44}$/.test(nonce)) return 'invalid';
    const issued = nonce.slice(0, 12);
    const mac = Buffer.from(nonce.slice(12), 'hex');
    if (!timingSafeEqual(mac, Buffer.from(this.mac(issued), 'hex'))) return 'invalid';
    const age = this.clock() - parseInt(issued, 16);
    return age >= -60_000 && age <= this.lifetimeMs ? 'valid' : 'stale';
  }
}

/** The WWW-Authenticate value. `realm` first: node-onvif looks for the text "Digest realm". */
export function digestChallenge(realm: string, nonce: string, stale = false): string {
  return `Digest realm="${realm}", qop="auth", nonce="${nonce}", opaque="${md5(realm)}", algorithm=MD5, stale=${stale ? 'TRUE' : 'FALSE'}`;
}

/** Splits an Authorization header into its scheme and parameters (quoted strings may hold commas). */
export function parseAuthorization(header: string | undefined): { scheme: string; params: Record<string, string> } | undefined {
  if (!header) return undefined;
  const match = /^\s*([A-Za-z]+)\s*(.*)$/s.exec(header);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  const paramPattern = /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*(?:,|$)/gy;
  const rest = match[2]!;
  paramPattern.lastIndex = 0;
  while (paramPattern.lastIndex < rest.length) {
    const start = paramPattern.lastIndex;
    const p = paramPattern.exec(rest);
    if (!p) {
      // Skip stray separators; give up on anything else.
      if (/^[\s,]/.test(rest.slice(start))) {
        paramPattern.lastIndex = start + 1;
        continue;
      }
      break;
    }
    params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3]!;
  }
  return { scheme: match[1]!.toLowerCase(), params };
}

export type DigestVerdict =
  | { ok: true }
  | { ok: false; reason: 'missing' | 'basic' | 'malformed' | 'unknown-user' | 'wrong-password' | 'wrong-uri' | 'bad-nonce'; stale: boolean };

export interface DigestRequest {
  authorization: string | undefined;
  method: string;
  /** The request target as received (path and query). */
  uri: string;
}

/** Verifies a Digest Authorization header for one request against the device account. */
export function verifyDigest(request: DigestRequest, account: Credentials, realm: string, nonces: Pick<DigestNonces, 'check'>): DigestVerdict {
  const parsed = parseAuthorization(request.authorization);
  if (!parsed) return { ok: false, reason: 'missing', stale: false };
  if (parsed.scheme === 'basic') return { ok: false, reason: 'basic', stale: false };
  const p = parsed.params;
  if (parsed.scheme !== 'digest' || !p.username || !p.nonce || !p.uri || !p.response || p.realm !== realm) return { ok: false, reason: 'malformed', stale: false };
  const algorithm = (p.algorithm ?? 'MD5').toUpperCase();
  if (algorithm !== 'MD5') return { ok: false, reason: 'malformed', stale: false };
  // We offer qop=auth only; the RFC 2069 form without qop is refused (RFC 7616 §3.3).
  if (p.qop !== 'auth' || !p.nc || !p.cnonce) return { ok: false, reason: 'malformed', stale: false };
  if (p.uri !== request.uri) return { ok: false, reason: 'wrong-uri', stale: false };
  const nonce = nonces.check(p.nonce);
  if (nonce === 'invalid') return { ok: false, reason: 'bad-nonce', stale: false };
  if (p.username !== account.username) return { ok: false, reason: 'unknown-user', stale: false };
  const ha1 = md5(`${account.username}:${realm}:${account.password}`);
  const ha2 = md5(`${request.method.toUpperCase()}:${p.uri}`);
  const expected = md5(`${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:auth:${ha2}`);
  const given = p.response.toLowerCase();
  if (given.length !== expected.length || !timingSafeEqual(Buffer.from(given), Buffer.from(expected))) return { ok: false, reason: 'wrong-password', stale: false };
  // A right answer to an expired nonce: the client knows the password and should retry at once.
  if (nonce === 'stale') return { ok: false, reason: 'bad-nonce', stale: true };
  return { ok: true };
}

/** The Authorization header a client sends in answer to a challenge (used by tests and tools). */
export function digestAuthorization(challenge: { realm: string; nonce: string; opaque?: string }, credentials: Credentials, method: string, uri: string, nc = 1, cnonce = randomBytes(8).toString('hex')): string {
  const ha1 = md5(`${credentials.username}:${challenge.realm}:${credentials.password}`);
  const ha2 = md5(`${method.toUpperCase()}:${uri}`);
  const ncHex = nc.toString(16).padStart(8, '0');
  const response = md5(`${ha1}:${challenge.nonce}:${ncHex}:${cnonce}:auth:${ha2}`);
  const opaque = challenge.opaque ? `, opaque="${challenge.opaque}"` : '';
  return `Digest username="${credentials.username}", realm="${challenge.realm}", nonce="${challenge.nonce}", uri="${uri}", algorithm=MD5, qop=auth, nc=${ncHex}, cnonce="${cnonce}", response="${response}"${opaque}`;
}
