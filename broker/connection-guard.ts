// Admission of TCP connections before any MQTT is parsed: a token bucket of
// connection attempts per source IP, and caps on the connections open per IP and
// in total. Pure logic over a clock, so it is tested with plain tables; the broker
// asks it for each accepted socket and closes the socket when it says no.

export interface ConnectionLimits {
  /** Sustained connection attempts per second allowed from one IP. */
  connectRatePerIp: number;
  /** Attempts one IP may make at once before the rate applies (bucket size). */
  connectBurstPerIp: number;
  /** Connections open at once from one IP (authenticated or not). */
  maxConnectionsPerIp: number;
  /** Connections open at once in total. */
  maxConnections: number;
}

/**
 * Defaults sized for a county network: a gateway connects once and stays; a
 * reconnect storm after a broker restart is one attempt per gateway. Many
 * gateways behind one carrier-grade NAT share an IP, hence the generous per-IP cap.
 */
export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  connectRatePerIp: 20,
  connectBurstPerIp: 50,
  maxConnectionsPerIp: 500,
  maxConnections: 10_000,
};

export type ConnectionRefusal = 'rate' | 'per-ip' | 'total';

export type Admission = { admitted: true } | { admitted: false; reason: ConnectionRefusal };

interface Bucket {
  tokens: number;
  refilledAt: number;
}

/** Idle buckets that are full again carry no state worth keeping: dropped on this period. */
const PRUNE_EVERY_MS = 60_000;

export class ConnectionGuard {
  private readonly buckets = new Map<string, Bucket>();
  private readonly openByIp = new Map<string, number>();
  private open = 0;
  private prunedAt: number;

  constructor(private readonly limits: ConnectionLimits, private readonly now: () => number = Date.now) {
    this.prunedAt = now();
  }

  /** Decides on a new connection from `ip`; an admitted one must be `release`d when it closes. */
  admit(ip: string): Admission {
    const now = this.now();
    this.prune(now);
    // The rate is charged for every attempt, refused or not: a flood pays for itself.
    if (!this.takeToken(ip, now)) return { admitted: false, reason: 'rate' };
    const fromIp = this.openByIp.get(ip) ?? 0;
    if (fromIp >= this.limits.maxConnectionsPerIp) return { admitted: false, reason: 'per-ip' };
    if (this.open >= this.limits.maxConnections) return { admitted: false, reason: 'total' };
    this.openByIp.set(ip, fromIp + 1);
    this.open++;
    return { admitted: true };
  }

  release(ip: string): void {
    const fromIp = this.openByIp.get(ip) ?? 0;
    if (fromIp <= 1) this.openByIp.delete(ip);
    else this.openByIp.set(ip, fromIp - 1);
    this.open = Math.max(0, this.open - 1);
  }

  /** Connections admitted and not yet released. */
  get openConnections(): number {
    return this.open;
  }

  /** Source IPs with a bucket or an open connection (bounded by pruning). */
  get trackedIps(): number {
    return new Set([...this.buckets.keys(), ...this.openByIp.keys()]).size;
  }

  private takeToken(ip: string, now: number): boolean {
    const { connectRatePerIp: rate, connectBurstPerIp: burst } = this.limits;
    const bucket = this.buckets.get(ip) ?? { tokens: burst, refilledAt: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.refilledAt) / 1000) * rate);
    bucket.refilledAt = now;
    this.buckets.set(ip, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  private prune(now: number): void {
    if (now - this.prunedAt < PRUNE_EVERY_MS) return;
    this.prunedAt = now;
    const { connectRatePerIp: rate, connectBurstPerIp: burst } = this.limits;
    for (const [ip, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.refilledAt) / 1000) * rate >= burst) this.buckets.delete(ip);
    }
  }
}
