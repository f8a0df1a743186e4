// The simulated physical world: a point's engineering value as a pure function of (point,
// seed, time), following the profile's `simulation` section. Tests call it to predict
// exactly what the gateway will read.
import type { ProfilePoint, Simulation } from '../../gateway/profile-schema.js';
import { layeredNoise, smoothNoise, unitRandom } from './noise.js';

/** A simulated engineering value: a number, a bool, or a string (a constant such as a model name). */
export type SimulatedValue = number | boolean | string;

/**
 * Values change once per step, like a transmitter refreshing its registers every second
 * (the RS-WS-N01 datasheet gives 1 s): any time inside a step gives the same value.
 */
export const SIMULATION_STEP_MS = 1000;

const HOUR_MS = 3_600_000;

export function quantizeTime(timeMs: number): number {
  return Math.floor(timeMs / SIMULATION_STEP_MS) * SIMULATION_STEP_MS;
}

function clamp(value: number, min: number | undefined, max: number | undefined): number {
  if (min !== undefined && value < min) return min;
  if (max !== undefined && value > max) return max;
  return value;
}

type Model<M extends Simulation['model']> = Extract<Simulation, { model: M }>;

function wobble(sim: { noise: number; noiseTimescaleS: number }, seed: number, key: string, t: number): number {
  return sim.noise === 0 ? 0 : sim.noise * smoothNoise(seed, `${key}:noise`, t, sim.noiseTimescaleS * 1000);
}

/** A cosine day: lowest at `minAtHour` local time, highest twelve hours later. */
function diurnal(sim: Model<'diurnal'>, name: string, seed: number, t: number): number {
  const localHour = (((t / HOUR_MS + sim.utcOffsetHours) % 24) + 24) % 24;
  const cycle = -Math.cos((2 * Math.PI * (localHour - sim.minAtHour)) / 24);
  return clamp(sim.mean + sim.amplitude * cycle + wobble(sim, seed, name, t), sim.min, sim.max);
}

/** How far into an episode `t` is (0 outside one, 1 at its peak); at most one per window. */
export function episodeShape(sim: Model<'episodes'>, key: string, seed: number, t: number): number {
  const windowMs = sim.everyHours * HOUR_MS;
  const window = Math.floor(t / windowMs);
  if (unitRandom(seed, `${key}:episode`, window) >= sim.probability) return 0;
  const [shortest, longest] = sim.durationHours;
  const duration = (shortest + (longest - shortest) * unitRandom(seed, `${key}:duration`, window)) * HOUR_MS;
  const start = window * windowMs + (windowMs - duration) * unitRandom(seed, `${key}:start`, window);
  if (t < start || t >= start + duration) return 0;
  // Episodes differ in strength; sin² builds up and clears smoothly, as smog does with the wind.
  const strength = 0.5 + 0.5 * unitRandom(seed, `${key}:strength`, window);
  return strength * Math.sin((Math.PI * (t - start)) / duration) ** 2;
}

function episodes(sim: Model<'episodes'>, name: string, seed: number, t: number): number {
  const shape = episodeShape(sim, sim.stream ?? name, seed, t);
  return clamp(sim.base + (sim.peak - sim.base) * shape + wobble(sim, seed, name, t), sim.min, sim.max);
}

/**
 * A bounded wander around the mean. Not a literal cumulative random walk (that would need
 * the whole history to evaluate one instant) but layered smooth noise, which looks alike.
 */
function randomWalk(sim: Model<'random-walk'>, name: string, seed: number, t: number): number {
  const wander = layeredNoise(seed, `${sim.stream ?? name}:walk`, t, sim.timescaleS * 1000);
  return clamp(sim.mean + sim.spread * wander + wobble(sim, seed, name, t), sim.min, sim.max);
}

function toggle(sim: Model<'toggle'>, name: string, seed: number, t: number): boolean {
  const periodMs = sim.periodS * 1000;
  const phaseShift = unitRandom(seed, `${name}:toggle`, 0) * periodMs;
  const phase = (((t + phaseShift) % periodMs) + periodMs) % periodMs;
  return phase < sim.onFraction * periodMs;
}

/**
 * A totaliser that never decreases, computable at any instant without history: a steady rate
 * plus smooth noise too gentle to ever make it run backwards. smoothNoise moves at most 3 units
 * per knot period, so an amplitude of rate·variation·period/3 keeps the slope between
 * rate·(1 − variation) and rate·(1 + variation), and variation ≤ 0.9 keeps it positive.
 */
function counter(sim: Model<'counter'>, name: string, seed: number, t: number): number {
  const since = Date.parse(sim.since);
  if (t <= since) return sim.start;
  const rate = sim.perHour * (1 + sim.spread * (2 * unitRandom(seed, `${name}:pace`, 0) - 1));
  const periodMs = sim.timescaleS * 1000;
  const amplitude = (rate * sim.variation * (periodMs / HOUR_MS)) / 3;
  const load = (at: number) => smoothNoise(seed, `${name}:load`, at, periodMs);
  return sim.start + rate * ((t - since) / HOUR_MS) + amplitude * (load(t) - load(since));
}

function step(sim: Model<'step'>, name: string, seed: number, t: number): number | boolean {
  const window = Math.floor(t / (sim.everyS * 1000));
  return sim.values[Math.floor(unitRandom(seed, `${name}:step`, window) * sim.values.length)]!;
}

/**
 * The point's engineering value at `timeMs` (ms since the epoch, UTC), before the device's
 * register resolution: constant within each SIMULATION_STEP_MS step. A point without a
 * simulation section reads 0 (false, "").
 */
export function simulatedValue(point: Pick<ProfilePoint, 'name' | 'type' | 'simulation'>, seed: number, timeMs: number): SimulatedValue {
  const t = quantizeTime(timeMs);
  const sim = point.simulation;
  if (!sim) return point.type === 'bool' ? false : point.type === 'string' ? '' : 0;
  switch (sim.model) {
    case 'constant':
      return sim.value;
    case 'diurnal':
      return diurnal(sim, point.name, seed, t);
    case 'episodes':
      return episodes(sim, point.name, seed, t);
    case 'random-walk':
      return randomWalk(sim, point.name, seed, t);
    case 'toggle':
      return toggle(sim, point.name, seed, t);
    case 'counter':
      return counter(sim, point.name, seed, t);
    case 'step':
      return step(sim, point.name, seed, t);
  }
}
