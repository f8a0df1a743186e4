// Deterministic fuzzing helpers: a seeded PRNG (mulberry32: 32-bit state, good
// enough to pick cases, reproducible from the seed printed by each test) and the
// hostile strings both fuzz tests draw from.

/** Code points, not UTF-16 units: a lone surrogate is not text any client could send. */
const TEXT_ALPHABET = Array.from('abcXYZ019 -_./\\\'"%;:{}[]<>&=?#\u00e9\u4e2d\u{1F525}\u0000\u202e');

export class Prng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }

  /** Printable-ish text with some multi-byte characters. */
  text(n: number): string {
    let out = '';
    for (let i = 0; i < n; i++) out += this.pick(TEXT_ALPHABET);
    return out;
  }
}

/** Strings an attacker tries in ids, fields and parameters. */
export const HOSTILE_STRINGS: readonly string[] = [
  "'; DROP TABLE readings; --",
  "' OR '1'='1",
  '"; DROP MEASUREMENT air; --',
  '../../etc/passwd',
  '..%2F..%2Fetc%2Fpasswd',
  '%00',
  'a\u0000b',
  '<script>alert(1)</script>',
  '${jndi:ldap://x/a}',
  '{{7*7}}',
  '$(reboot)',
  '`id`',
  'air,site=x value=1 1',
  '\u202etxt.exe',
  '中文设备',
  '\u{1F525}\u{1F525}',
  'A'.repeat(5000),
  'NaN',
  'Infinity',
  '-Infinity',
  '1e309',
  '-0',
  '9007199254740993',
  '0x1F',
  'null',
  'undefined',
  'true',
  '[]',
  '{}',
  ' ',
  '',
];
