// HTTP Digest for the snapshot URL: challenge shape node-onvif can parse, verification table,
// stateless nonces that go stale on the injected clock.
import { describe, expect, it } from 'vitest';
import { DIGEST_REALM, DigestNonces, digestAuthorization, digestChallenge, parseAuthorization, verifyDigest } from './http-digest.js';

const account = { username: 'admin', password: 'S3cret-pass' };
const T0 = Date.UTC(2026, 0, 15, 21, 0, 0);

describe('digestChallenge', () => {
  it('lists realm first and holds no value node-onvif would split (no "," or "=" inside values)', () => {
    const nonces = new DigestNonces(() => T0);
    const challenge = digestChallenge(DIGEST_REALM, nonces.issue());
    expect(challenge).toMatch(/^Digest realm="Shaobing IP Camera", qop="auth", nonce="[0-9a-f]{44}", opaque="[0-9a-f]{32}", algorithm=MD5, stale=FALSE$/);
    // node-onvif's parser: split on /,\s*/ then on '='.
    const o: Record<string, string> = {};
    for (const part of challenge.split(/,\s*/)) {
      const [k, v] = part.split('=');
      o[k!] = v!.replace(/^"|"$/g, '');
    }
    expect(o['Digest realm']).toBe(DIGEST_REALM);
    expect(o.qop).toBe('auth');
    expect(o.algorithm).toBe('MD5');
  });
});

describe('parseAuthorization', () => {
  it('reads quoted values with commas and unquoted tokens', () => {
    expect(parseAuthorization('Digest username="a,b", realm="r", nc=00000001, qop=auth')).toEqual({ scheme: 'digest', params: { username: 'a,b', realm: 'r', nc: '00000001', qop: 'auth' } });
    expect(parseAuthorization('Basic YWRtaW46eA==')?.scheme).toBe('basic');
    expect(parseAuthorization(undefined)).toBeUndefined();
  });
});

describe('verifyDigest', () => {
  let now = T0;
  const nonces = new DigestNonces(() => now, 300_000);
  const nonce = nonces.issue();
  const uri = '/onvif/snapshot.jpg';
  const good = digestAuthorization({ realm: DIGEST_REALM, nonce }, account, 'GET', uri, 1, 'abcdef0123456789');

  const cases: [string, string | undefined, string, string, ReturnType<typeof verifyDigest>][] = [
    ['right answer', good, 'GET', uri, { ok: true }],
    ['no header', undefined, 'GET', uri, { ok: false, reason: 'missing', stale: false }],
    ['Basic is refused', 'Basic YWRtaW46UzNjcmV0LXBhc3M=', 'GET', uri, { ok: false, reason: 'basic', stale: false }],
    ['wrong password', digestAuthorization({ realm: DIGEST_REALM, nonce }, { ...account, password: 'x' }, 'GET', uri), 'GET', uri, { ok: false, reason: 'wrong-password', stale: false }],
    ['unknown user', digestAuthorization({ realm: DIGEST_REALM, nonce }, { ...account, username: 'root' }, 'GET', uri), 'GET', uri, { ok: false, reason: 'unknown-user', stale: false }],
    ['answer for another URI', good, 'GET', '/onvif/snapshot.jpg?x=1', { ok: false, reason: 'wrong-uri', stale: false }],
    ['answer for another method', good, 'POST', uri, { ok: false, reason: 'wrong-password', stale: false }],
    ['forged nonce', digestAuthorization({ realm: DIGEST_REALM, nonce: '0'.repeat(44) }, account, 'GET', uri), 'GET', uri, { ok: false, reason: 'bad-nonce', stale: false }],
    ['other realm', digestAuthorization({ realm: 'Other', nonce }, account, 'GET', uri), 'GET', uri, { ok: false, reason: 'malformed', stale: false }],
    ['no qop (RFC 2069 form)', good.replace(', qop=auth', ''), 'GET', uri, { ok: false, reason: 'malformed', stale: false }],
  ];
  it.each(cases)('%s', (_name, authorization, method, requestUri, expected) => {
    now = T0;
    expect(verifyDigest({ authorization, method, uri: requestUri }, account, DIGEST_REALM, nonces)).toEqual(expected);
  });

  it('a right answer to an expired nonce is stale (the client retries with the new nonce)', () => {
    now = T0 + 301_000;
    expect(verifyDigest({ authorization: good, method: 'GET', uri }, account, DIGEST_REALM, nonces)).toEqual({ ok: false, reason: 'bad-nonce', stale: true });
  });

  it('a nonce from another simulator (other secret) is invalid', () => {
    now = T0;
    const other = new DigestNonces(() => now);
    expect(other.check(nonce)).toBe('invalid');
    expect(nonces.check(nonce)).toBe('valid');
  });
});
