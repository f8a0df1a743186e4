// scrypt password hashes: format, verification, and refusal of anything that is not a hash.
import { describe, expect, it } from 'vitest';
import { DEFAULT_SCRYPT_PARAMS, hashPassword, isPasswordHash, verifyPassword } from './passwords.js';

// Cheap parameters where the cost is not the point: these tests are about format and logic.
const FAST = { N: 1024, r: 8, p: 1 };

describe('hashPassword / verifyPassword', () => {
  it('encodes scrypt$N$r$p$salt$hash with the default cost, and verifies', async () => {
    const encoded = await hashPassword('correct horse battery staple');
    const [scheme, N, r, p, salt, hash] = encoded.split('$');
    expect([scheme, Number(N), Number(r), Number(p)]).toEqual(['scrypt', DEFAULT_SCRYPT_PARAMS.N, DEFAULT_SCRYPT_PARAMS.r, DEFAULT_SCRYPT_PARAMS.p]);
    expect(Buffer.from(salt!, 'base64')).toHaveLength(16);
    expect(Buffer.from(hash!, 'base64')).toHaveLength(32);
    expect(encoded).not.toContain('correct horse');
    expect(await verifyPassword('correct horse battery staple', encoded)).toBe(true);
    expect(await verifyPassword(Buffer.from('correct horse battery staple'), encoded)).toBe(true);
    expect(await verifyPassword('correct horse battery stapl', encoded)).toBe(false);
  });

  it('salts every hash', async () => {
    const [a, b] = await Promise.all([hashPassword('same', FAST), hashPassword('same', FAST)]);
    expect(a).not.toBe(b);
    expect(await verifyPassword('same', a)).toBe(true);
    expect(await verifyPassword('same', b)).toBe(true);
  });

  it('verifies with the parameters stored in the hash, so the cost can change later', async () => {
    const cheap = await hashPassword('pw', FAST);
    const dearer = await hashPassword('pw', { N: 4096, r: 16, p: 2 });
    expect(dearer.startsWith('scrypt$4096$16$2$')).toBe(true);
    expect(await verifyPassword('pw', cheap)).toBe(true);
    expect(await verifyPassword('pw', dearer)).toBe(true);
  });

  it('refuses empty passwords and unsupported parameters', async () => {
    await expect(hashPassword('')).rejects.toThrow(/empty/);
    await expect(hashPassword('pw', { N: 1000, r: 8, p: 1 })).rejects.toThrow(/invalid scrypt parameters/);
    await expect(hashPassword('pw', { N: 2 ** 24, r: 8, p: 1 })).rejects.toThrow(/invalid scrypt parameters/);
  });

  it('throws on a malformed hash instead of answering "wrong password"', async () => {
    await expect(verifyPassword('hunter2', 'hunter2')).rejects.toThrow(/not a scrypt password hash/);
  });
});

describe('isPasswordHash', () => {
  const salt = Buffer.alloc(16, 1).toString('base64');
  const hash = Buffer.alloc(32, 2).toString('base64');
  it.each([
    [`scrypt$16384$8$1$${salt}$${hash}`, true],
    ['hunter2', false],
    ['', false],
    [`scrypt$16384$8$1$${salt}`, false],
    [`bcrypt$16384$8$1$${salt}$${hash}`, false],
    [`scrypt$16000$8$1$${salt}$${hash}`, false], // N not a power of two
    [`scrypt$2097152$8$1$${salt}$${hash}`, false], // N above the bound
    [`scrypt$16384$0$1$${salt}$${hash}`, false],
    [`scrypt$16384$8$99$${salt}$${hash}`, false],
    [`scrypt$016384$8$1$${salt}$${hash}`, false],
    [`scrypt$16384$8$1$${Buffer.alloc(8).toString('base64')}$${hash}`, false], // salt too short
    [`scrypt$16384$8$1$${salt}$not*base64`, false],
  ])('%s → %s', (encoded, expected) => {
    expect(isPasswordHash(encoded)).toBe(expected);
  });
});
