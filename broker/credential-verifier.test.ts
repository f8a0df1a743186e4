// The password checker in front of scrypt: what it caches, what it never caches,
// and how it bounds concurrent hashing.
import { describe, expect, it } from 'vitest';
import { CredentialVerifier } from './credential-verifier.js';
import { hashPassword } from './passwords.js';

const FAST = { N: 1024, r: 8, p: 1 };

describe('CredentialVerifier', () => {
  it('remembers a verified password and admits it again without scrypt', async () => {
    const hash = await hashPassword('right', FAST);
    const verifier = new CredentialVerifier();
    expect(await verifier.verify('gw-a', hash, Buffer.from('right'))).toBe('valid');
    expect(await verifier.verify('gw-a', hash, Buffer.from('right'))).toBe('valid');
    expect(verifier.stats()).toMatchObject({ hashesComputed: 1, cacheHits: 1 });
  });

  it('never caches a wrong password, and a wrong attempt does not evict the right one', async () => {
    const hash = await hashPassword('right', FAST);
    const verifier = new CredentialVerifier();
    expect(await verifier.verify('gw-a', hash, 'right')).toBe('valid');
    expect(await verifier.verify('gw-a', hash, 'wrong')).toBe('invalid');
    expect(await verifier.verify('gw-a', hash, 'wrong')).toBe('invalid');
    expect(await verifier.verify('gw-a', hash, 'right')).toBe('valid');
    expect(verifier.stats()).toMatchObject({ hashesComputed: 3, cacheHits: 1 });
  });

  it('forgets a password when the stored hash changes (password rotated)', async () => {
    const [oldHash, newHash] = await Promise.all([hashPassword('old', FAST), hashPassword('new', FAST)]);
    const verifier = new CredentialVerifier();
    expect(await verifier.verify('gw-a', oldHash, 'old')).toBe('valid');
    expect(await verifier.verify('gw-a', newHash, 'old')).toBe('invalid');
    expect(await verifier.verify('gw-a', newHash, 'new')).toBe('valid');
  });

  it('expires remembered passwords after the TTL', async () => {
    const hash = await hashPassword('right', FAST);
    let now = 1_000;
    const verifier = new CredentialVerifier({ cacheTtlMs: 60_000, now: () => now });
    await verifier.verify('gw-a', hash, 'right');
    now += 59_999;
    await verifier.verify('gw-a', hash, 'right');
    now += 1;
    await verifier.verify('gw-a', hash, 'right');
    expect(verifier.stats()).toMatchObject({ hashesComputed: 2, cacheHits: 1 });
  });

  it('keeps at most cacheMaxEntries, dropping the oldest', async () => {
    const hash = await hashPassword('pw', FAST);
    const verifier = new CredentialVerifier({ cacheMaxEntries: 2 });
    for (const user of ['a', 'b', 'c']) await verifier.verify(user, hash, 'pw');
    await verifier.verify('c', hash, 'pw');
    await verifier.verify('a', hash, 'pw');
    expect(verifier.stats()).toMatchObject({ hashesComputed: 4, cacheHits: 1 });
  });

  it('runs at most maxConcurrent checks, queues maxQueued, and turns the rest away', async () => {
    const hash = await hashPassword('pw', FAST);
    const verifier = new CredentialVerifier({ maxConcurrent: 1, maxQueued: 2, cacheTtlMs: 0 });
    const outcomes = Promise.all(['a', 'b', 'c', 'd'].map((user) => verifier.verify(user, hash, 'pw')));
    expect(verifier.stats()).toMatchObject({ running: 1, queued: 2 });
    expect(await outcomes).toEqual(['valid', 'valid', 'valid', 'busy']);
    expect(verifier.stats()).toMatchObject({ running: 0, queued: 0, hashesComputed: 3, refusedBusy: 1 });
  });

  it('skips the check for a client that left while it waited', async () => {
    const hash = await hashPassword('pw', FAST);
    const verifier = new CredentialVerifier({ maxConcurrent: 1 });
    let stillThere = true;
    const first = verifier.verify('a', hash, 'pw');
    const second = verifier.verify('b', hash, 'pw', () => stillThere);
    stillThere = false;
    expect(await Promise.all([first, second])).toEqual(['valid', 'abandoned']);
    expect(verifier.stats()).toMatchObject({ hashesComputed: 1, running: 0 });
  });
});
