// Checks MQTT passwords against scrypt hashes without letting scrypt's deliberate
// slowness (~90 ms of CPU each) take the broker down when many gateways connect
// at once: recent successes are remembered, and hashing runs a few at a time.
//
// Choice for reconnect storms:
// - A gateway that blips (4G drop, broker-side keepalive timeout) reconnects with
//   the same password: a keyed HMAC of that password, remembered for `cacheTtlMs`
//   after a successful scrypt check, admits it in microseconds. The entry is bound
//   to the stored hash, so changing an account's password invalidates it.
// - After a broker restart the cache is empty: scrypt runs at most `maxConcurrent`
//   at a time (default: half the cores, at least one) so the broker keeps CPU for
//   traffic; up to `maxQueued` CONNECTs wait in order, beyond that they are refused
//   as "server unavailable" and the client retries. A queued CONNECT whose socket
//   has gone (the client timed out and reconnected) is skipped, not hashed.
// Only successes are cached, so a wrong password always costs a full scrypt check.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { verifyPassword } from './passwords.js';

export type VerifyOutcome = 'valid' | 'invalid' | 'busy' | 'abandoned';

export interface CredentialVerifierOptions {
  /** How long a verified password is remembered. Default 15 minutes; 0 disables the cache. */
  cacheTtlMs?: number;
  /** Bound on remembered passwords (oldest dropped first). Default 10 000. */
  cacheMaxEntries?: number;
  /** scrypt checks running at once. Default max(1, cores / 2). */
  maxConcurrent?: number;
  /** CONNECTs waiting for a scrypt slot before new ones are turned away. Default 2 000. */
  maxQueued?: number;
  now?: () => number;
}

interface RememberedPassword {
  passwordHash: string;
  digest: Buffer;
  expiresAt: number;
}

export interface VerifierStats {
  cacheHits: number;
  hashesComputed: number;
  refusedBusy: number;
  running: number;
  queued: number;
}

export class CredentialVerifier {
  // Per-process key: the remembered digests are worthless outside this process.
  private readonly hmacKey = randomBytes(32);
  private readonly remembered = new Map<string, RememberedPassword>();
  private readonly waiting: Array<() => void> = [];
  private running = 0;
  private cacheHits = 0;
  private hashesComputed = 0;
  private refusedBusy = 0;
  private readonly cacheTtlMs: number;
  private readonly cacheMaxEntries: number;
  private readonly maxConcurrent: number;
  private readonly maxQueued: number;
  private readonly now: () => number;

  constructor(options: CredentialVerifierOptions = {}) {
    this.cacheTtlMs = options.cacheTtlMs ?? 15 * 60_000;
    this.cacheMaxEntries = options.cacheMaxEntries ?? 10_000;
    this.maxConcurrent = Math.max(1, options.maxConcurrent ?? Math.floor(availableParallelism() / 2));
    this.maxQueued = Math.max(0, options.maxQueued ?? 2_000);
    this.now = options.now ?? Date.now;
  }

  stats(): VerifierStats {
    return { cacheHits: this.cacheHits, hashesComputed: this.hashesComputed, refusedBusy: this.refusedBusy, running: this.running, queued: this.waiting.length };
  }

  /**
   * `stillWanted` is asked when a scrypt slot frees up: returning false (the
   * client has gone) skips the expensive check and yields 'abandoned'.
   */
  async verify(username: string, passwordHash: string, password: string | Buffer, stillWanted: () => boolean = () => true): Promise<VerifyOutcome> {
    const digest = createHmac('sha256', this.hmacKey).update(password).digest();
    if (this.isRemembered(username, passwordHash, digest)) {
      this.cacheHits++;
      return 'valid';
    }
    if (!(await this.acquireSlot())) {
      this.refusedBusy++;
      return 'busy';
    }
    try {
      if (!stillWanted()) return 'abandoned';
      this.hashesComputed++;
      const valid = await verifyPassword(password, passwordHash);
      if (valid) this.remember(username, passwordHash, digest);
      return valid ? 'valid' : 'invalid';
    } finally {
      this.releaseSlot();
    }
  }

  private isRemembered(username: string, passwordHash: string, digest: Buffer): boolean {
    const entry = this.remembered.get(username);
    if (entry === undefined) return false;
    if (entry.expiresAt <= this.now()) {
      this.remembered.delete(username);
      return false;
    }
    // A wrong password does not evict the entry: otherwise anyone could force scrypt for a live gateway.
    return entry.passwordHash === passwordHash && timingSafeEqual(entry.digest, digest);
  }

  private remember(username: string, passwordHash: string, digest: Buffer): void {
    if (this.cacheTtlMs <= 0 || this.cacheMaxEntries <= 0) return;
    this.remembered.delete(username); // re-insert at the end: Map order is our eviction order
    this.remembered.set(username, { passwordHash, digest, expiresAt: this.now() + this.cacheTtlMs });
    while (this.remembered.size > this.cacheMaxEntries) {
      const oldest = this.remembered.keys().next().value as string;
      this.remembered.delete(oldest);
    }
  }

  private acquireSlot(): Promise<boolean> {
    if (this.running < this.maxConcurrent) {
      this.running++;
      return Promise.resolve(true);
    }
    if (this.waiting.length >= this.maxQueued) return Promise.resolve(false);
    // The slot passes straight from releaseSlot to the waiter: `running` stays counted.
    return new Promise((resolve) => this.waiting.push(() => resolve(true)));
  }

  private releaseSlot(): void {
    const next = this.waiting.shift();
    if (next !== undefined) next();
    else this.running--;
  }
}
