// Encryption at rest for secrets the registry must give back to a gateway (camera passwords):
// AES-256-GCM under a key kept in its own file (`registry.keyFile`, created 0600 when missing),
// so a copy of the registry database alone reveals no password. Each secret is bound to the
// record it belongs to (additional authenticated data), so a ciphertext moved to another
// camera's row fails to decrypt instead of handing out the wrong password.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const PREFIX = 'aesgcm1:';

export class KeyFileError extends Error {
  constructor(readonly file: string, detail: string) {
    super(`registry key file ${file}: ${detail}`);
    this.name = 'KeyFileError';
  }
}

function decodeKey(file: string, text: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== KEY_BYTES) throw new KeyFileError(file, `must hold ${KEY_BYTES} random bytes in base64 (found ${key.length} bytes)`);
  return key;
}

/**
 * Reads the key, or creates the file with a new random key (mode 0600, never overwriting one
 * that appeared meanwhile). A key file readable by others is refused: it guards every camera.
 */
export function loadOrCreateKey(file: string): Buffer {
  try {
    const stat = fs.statSync(file);
    if ((stat.mode & 0o077) !== 0) throw new KeyFileError(file, `is readable by other users (mode ${(stat.mode & 0o777).toString(8)}): chmod 600 it`);
    return decodeKey(file, fs.readFileSync(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const key = randomBytes(KEY_BYTES);
  try {
    fs.writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return decodeKey(file, fs.readFileSync(file, 'utf8'));
    throw err;
  }
  return key;
}

export class SecretBox {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== KEY_BYTES) throw new Error(`an AES-256 key is ${KEY_BYTES} bytes`);
    this.#key = key;
  }

  static fromKeyFile(file: string): SecretBox {
    return new SecretBox(loadOrCreateKey(file));
  }

  /** `aesgcm1:` + base64(iv ‖ tag ‖ ciphertext); `context` names the record the secret belongs to. */
  encrypt(plain: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  /** Throws when the ciphertext was altered, belongs to another record, or was made under another key. */
  decrypt(sealed: string, context: string): string {
    if (!sealed.startsWith(PREFIX)) throw new Error('not a sealed secret');
    const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new Error('sealed secret too short');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  }
}
