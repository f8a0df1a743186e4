// Password hashing for broker accounts: scrypt with a random salt, encoded as
// `scrypt$N$r$p$salt$hash` (salt and hash in base64), so a file of accounts never
// holds a password and the cost can be raised later without breaking old hashes.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  N: number;
  /** Block size. */
  r: number;
  /** Parallelism. */
  p: number;
}

/**
 * Node's defaults (N=2^14, r=8, p=1): about 90 ms and 16 MiB per hash on the
 * reference machine. Gateway passwords are generated random secrets, so the
 * stretching matters less than for human passwords; higher cost would make a
 * reconnect storm after a broker restart take minutes (see credential-verifier.ts).
 */
export const DEFAULT_SCRYPT_PARAMS: Readonly<ScryptParams> = { N: 2 ** 14, r: 8, p: 1 };

const SALT_BYTES = 16;
const KEY_BYTES = 32;
// Bounds on what a hash string may ask for: a typo in the accounts file must not
// make verification allocate gigabytes.
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

interface DecodedHash extends ScryptParams {
  salt: Buffer;
  hash: Buffer;
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 1 && (n & (n - 1)) === 0;
}

function areSupportedParams({ N, r, p }: ScryptParams): boolean {
  return isPowerOfTwo(N) && N <= MAX_N && Number.isInteger(r) && r >= 1 && r <= MAX_R && Number.isInteger(p) && p >= 1 && p <= MAX_P;
}

function decodeInteger(text: string): number {
  return /^[1-9][0-9]{0,9}$/.test(text) ? Number(text) : NaN;
}

/** Parses an encoded hash; undefined when it is not one of ours (e.g. a plaintext password). */
function decodeHash(encoded: string): DecodedHash | undefined {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [, nText, rText, pText, saltText, hashText] = parts as [string, string, string, string, string, string];
  const N = decodeInteger(nText);
  const r = decodeInteger(rText);
  const p = decodeInteger(pText);
  if (!areSupportedParams({ N, r, p })) return undefined;
  if (!BASE64.test(saltText) || !BASE64.test(hashText)) return undefined;
  const salt = Buffer.from(saltText, 'base64');
  const hash = Buffer.from(hashText, 'base64');
  if (salt.length < SALT_BYTES || hash.length < 16) return undefined;
  return { N, r, p, salt, hash };
}

function deriveKey(password: string | Buffer, salt: Buffer, keyLength: number, params: ScryptParams): Promise<Buffer> {
  // Node refuses anything above maxmem (32 MiB by default); scrypt needs about 128·N·r bytes.
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 128 * params.r * (params.N + params.p + 2) + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** True when the string is a well-formed scrypt hash in our encoding. */
export function isPasswordHash(encoded: string): boolean {
  return decodeHash(encoded) !== undefined;
}

export async function hashPassword(password: string | Buffer, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): Promise<string> {
  if (password.length === 0) throw new Error('refusing to hash an empty password');
  if (!areSupportedParams(params)) throw new Error(`invalid scrypt parameters N=${params.N} r=${params.r} p=${params.p}`);
  const salt = randomBytes(SALT_BYTES);
  const key = await deriveKey(password, salt, KEY_BYTES, params);
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/**
 * Checks a password against an encoded hash in constant time (for a given hash).
 * Throws when `encoded` is not a valid hash: that is a configuration error, not a wrong password.
 */
export async function verifyPassword(password: string | Buffer, encoded: string): Promise<boolean> {
  const decoded = decodeHash(encoded);
  if (decoded === undefined) throw new Error('not a scrypt password hash (expected scrypt$N$r$p$salt$hash)');
  const key = await deriveKey(password, decoded.salt, decoded.hash.length, decoded);
  return timingSafeEqual(key, decoded.hash);
}
