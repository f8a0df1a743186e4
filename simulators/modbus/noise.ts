// Deterministic pseudo-randomness for simulators: the same seed, key and index always give
// the same number, with no state to carry, so any instant can be computed on its own.

/** murmur3's finalizer: spreads every input bit over the whole 32-bit result. */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hashText(text: string, h: number): number {
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193); // FNV-1a prime
  }
  return h >>> 0;
}

/** A uniform number in [0, 1) determined by (seed, key, index). */
export function unitRandom(seed: number, key: string, index: number): number {
  let h = hashText(key, (0x811c9dc5 ^ mix32(Math.floor(seed) >>> 0)) >>> 0);
  const whole = Math.floor(index);
  h = mix32(h ^ (whole >>> 0));
  h = mix32(h ^ Math.imul(Math.floor(whole / 2 ** 32) >>> 0, 0x9e3779b1));
  return h / 2 ** 32;
}

/**
 * Smooth noise in [−1, 1]: random values at knots `periodMs` apart, eased between them, so
 * it wanders instead of jumping from one second to the next.
 */
export function smoothNoise(seed: number, key: string, timeMs: number, periodMs: number): number {
  const x = timeMs / periodMs;
  const knot = Math.floor(x);
  const f = x - knot;
  const ease = f * f * (3 - 2 * f);
  const a = unitRandom(seed, key, knot) * 2 - 1;
  const b = unitRandom(seed, key, knot + 1) * 2 - 1;
  return a + (b - a) * ease;
}

/** Several octaves of smooth noise (slow swings plus finer wobble), still within [−1, 1]. */
export function layeredNoise(seed: number, key: string, timeMs: number, periodMs: number, octaves = 4): number {
  let sum = 0;
  let weights = 0;
  for (let i = 0; i < octaves; i++) {
    const weight = 0.5 ** i;
    sum += weight * smoothNoise(seed, `${key}#${i}`, timeMs, periodMs / 2 ** i);
    weights += weight;
  }
  return sum / weights;
}
