// HTTP Basic and Digest for snapshot URIs: challenge parsing (any parameter order, several
// schemes in one header) and the RFC 7616 / RFC 2617 example answers.
import { describe, expect, it } from 'vitest';
import { basicAuthorization, digestAuthorization, parseAuthenticate } from './http-auth.js';

describe('parseAuthenticate', () => {
  it.each([
    { header: 'Digest realm="Shaobing IP Camera", qop="auth", nonce="abc", opaque="o1", algorithm=MD5, stale=FALSE', expected: { basic: false, digest: { realm: 'Shaobing IP Camera', nonce: 'abc', qop: 'auth', algorithm: 'MD5', opaque: 'o1' } } },
    { header: 'Digest qop="auth,auth-int", nonce="n, with comma", realm="r=1"', expected: { basic: false, digest: { realm: 'r=1', nonce: 'n, with comma', qop: 'auth,auth-int' } } },
    { header: 'Basic realm="cam"', expected: { basic: true } },
    { header: ['Basic realm="cam"', 'Digest realm="cam", nonce="n"'], expected: { basic: true, digest: { realm: 'cam', nonce: 'n' } } },
    { header: 'Digest realm="d", nonce="n", Basic realm="b"', expected: { basic: true, digest: { realm: 'd', nonce: 'n' } } },
    { header: undefined, expected: { basic: false } },
    { header: 'Digest realm="no nonce"', expected: { basic: false } },
  ])('$header', ({ header, expected }) => {
    expect(parseAuthenticate(header)).toEqual(expected);
  });
});

describe('digestAuthorization', () => {
  it('matches RFC 2617 §3.5 (MD5, qop=auth)', () => {
    const header = digestAuthorization(
      { realm: 'testrealm@host.com', nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', qop: 'auth,auth-int', opaque: '5ccc069c403ebaf9f0171e9517f40e41' },
      { method: 'GET', uri: '/dir/index.html', username: 'Mufasa', password: 'Circle Of Life', nonceCount: 1, cnonce: '0a4f113b' },
    );
    expect(header).toContain('response="6629fae49393a05397450978507c4ef1"');
    expect(header).toMatch(/^Digest username="Mufasa", realm="testrealm@host.com", .*qop=auth, nc=00000001, cnonce="0a4f113b", opaque="5ccc069c403ebaf9f0171e9517f40e41"$/);
  });

  it('matches RFC 7616 §3.9.1 (SHA-256)', () => {
    const header = digestAuthorization(
      { realm: 'http-auth@example.org', nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v', qop: 'auth', algorithm: 'SHA-256', opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS' },
      { method: 'GET', uri: '/dir/index.html', username: 'Mufasa', password: 'Circle of Life', nonceCount: 1, cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ' },
    );
    expect(header).toContain('response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"');
  });

  it('answers without qop when the camera offers none', () => {
    expect(digestAuthorization({ realm: 'r', nonce: 'n' }, { method: 'GET', uri: '/s.jpg', username: 'u', password: 'p' })).not.toMatch(/qop|nc=/);
  });

  it('builds Basic', () => {
    expect(basicAuthorization('Aladdin', 'open sesame')).toBe('Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==');
  });
});
