// HTTP authentication for the snapshot URI (RFC 7617 Basic, RFC 7616 Digest with MD5 or
// SHA-256, qop=auth or none). Pure: parsing the challenge and building the answer.
//
// Not node-onvif's http-auth.js: it is one object shared by every camera (two snapshots at once
// can answer one camera's challenge with the other's credentials), reads the challenge only when
// it starts with `Digest realm`, and leaves the retried request without an error handler.
import { createHash, randomBytes } from 'node:crypto';

export interface DigestChallenge {
  realm: string;
  nonce: string;
  qop?: string;
  algorithm?: string;
  opaque?: string;
}

/** The challenges of a WWW-Authenticate header (one header may carry several, comma-joined). */
export function parseAuthenticate(header: string | string[] | undefined): { basic: boolean; digest?: DigestChallenge } {
  const values = Array.isArray(header) ? header : header === undefined ? [] : [header];
  let basic = false;
  let digest: DigestChallenge | undefined;
  for (const value of values) {
    if (/(^|,)\s*Basic\b/i.test(value)) basic = true;
    const start = value.search(/Digest\s/i);
    if (start < 0 || digest) continue;
    const params: Record<string, string> = {};
    // key=value or key="quoted, value"; stops at the next scheme name (a token without '=').
    const re = /([a-zA-Z0-9_-]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^,\s]*)/g;
    const rest = value.slice(start + 'Digest'.length);
    // First value wins: a Basic challenge after the Digest one repeats `realm`.
    for (let m = re.exec(rest); m; m = re.exec(rest)) params[m[1]!.toLowerCase()] ??= m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : m[2]!;
    if (params.realm !== undefined && params.nonce !== undefined) {
      digest = {
        realm: params.realm, nonce: params.nonce,
        ...(params.qop !== undefined ? { qop: params.qop } : {}),
        ...(params.algorithm !== undefined ? { algorithm: params.algorithm } : {}),
        ...(params.opaque !== undefined ? { opaque: params.opaque } : {}),
      };
    }
  }
  return digest ? { basic, digest } : { basic };
}

export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

export interface DigestRequest {
  method: string;
  /** Path and query, as in the request line. */
  uri: string;
  username: string;
  password: string;
  /** 1 for the first use of a nonce. */
  nonceCount?: number;
  cnonce?: string;
}

export function digestAuthorization(challenge: DigestChallenge, request: DigestRequest): string {
  const algorithm = (challenge.algorithm ?? 'MD5').toUpperCase();
  const sessionVariant = algorithm.endsWith('-SESS');
  const base = sessionVariant ? algorithm.slice(0, -5) : algorithm;
  if (base !== 'MD5' && base !== 'SHA-256') throw new Error(`unsupported digest algorithm ${challenge.algorithm}`);
  const hash = (data: string): string => createHash(base === 'MD5' ? 'md5' : 'sha256').update(data, 'utf8').digest('hex');
  const cnonce = request.cnonce ?? randomBytes(8).toString('hex');
  const nc = (request.nonceCount ?? 1).toString(16).padStart(8, '0');
  let ha1 = hash(`${request.username}:${challenge.realm}:${request.password}`);
  if (sessionVariant) ha1 = hash(`${ha1}:${challenge.nonce}:${cnonce}`);
  const ha2 = hash(`${request.method}:${request.uri}`);
  const qops = challenge.qop?.split(',').map((q) => q.trim()) ?? [];
  const qop = qops.includes('auth') ? 'auth' : undefined;
  const response = qop ? hash(`${ha1}:${challenge.nonce}:${nc}:${cnonce}:${qop}:${ha2}`) : hash(`${ha1}:${challenge.nonce}:${ha2}`);
  const quote = (value: string): string => `"${value.replace(/(["\\])/g, '\\$1')}"`;
  const parts = [
    `username=${quote(request.username)}`, `realm=${quote(challenge.realm)}`, `nonce=${quote(challenge.nonce)}`,
    `uri=${quote(request.uri)}`, `algorithm=${challenge.algorithm ?? 'MD5'}`, `response=${quote(response)}`,
  ];
  if (qop) parts.push(`qop=${qop}`, `nc=${nc}`, `cnonce=${quote(cnonce)}`);
  if (challenge.opaque !== undefined) parts.push(`opaque=${quote(challenge.opaque)}`);
  return `Digest ${parts.join(', ')}`;
}
