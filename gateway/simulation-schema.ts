// The `simulation` section of a device-profile point: how simulators/modbus fakes the value.
// It lives in the profile format so a profile is validated once, at load; the gateway itself
// ignores it. Evaluation is in simulators/modbus/value-model.ts. Pure, no I/O.
import { z } from 'zod';

const bounds = {
  /** The value never goes below min / above max (a transmitter's measuring range). */
  min: z.number().optional(),
  max: z.number().optional(),
};
const noise = {
  /** Amplitude of a smooth wobble added to the model (same unit as the point). */
  noise: z.number().min(0).default(0),
  /** How fast the wobble changes: the distance between its random knots. */
  noiseTimescaleS: z.number().positive().default(300),
};
/** Points with the same stream share the same random episodes/wander (e.g. PM10 follows PM2.5). */
const stream = { stream: z.string().min(1).max(64).optional() };

const isoInstant = z.iso.datetime({ offset: true, message: 'an ISO date-time such as 2025-01-01T00:00:00+08:00' });

export const simulationSchema = z.discriminatedUnion('model', [
  /** Always the same value: a setting, a status word, a serial number. */
  z.strictObject({ model: z.literal('constant'), value: z.union([z.number(), z.boolean(), z.string().max(250)]) }),
  z.strictObject({
    model: z.literal('diurnal'),
    mean: z.number(),
    amplitude: z.number().min(0),
    /** Local hour of the daily minimum (05:00 for air temperature in a continental winter). */
    minAtHour: z.number().min(0).max(24).default(5),
    /** Local time zone; Heilongjiang is UTC+8 (China Standard Time). */
    utcOffsetHours: z.number().min(-12).max(14).default(8),
    ...noise,
    ...bounds,
  }),
  z.strictObject({
    model: z.literal('episodes'),
    /** Level between episodes. */
    base: z.number(),
    /**
     * Level an episode can reach (each episode goes somewhere between base and peak). Below
     * base for a dip: a radar's air gap shrinks while the river it looks at rises.
     */
    peak: z.number(),
    /** Time is cut into windows of this length; each window holds at most one episode. */
    everyHours: z.number().positive().default(72),
    /** Chance that a window holds an episode. */
    probability: z.number().min(0).max(1).default(0.5),
    durationHours: z.tuple([z.number().positive(), z.number().positive()]).default([12, 36]),
    ...stream,
    ...noise,
    ...bounds,
  }),
  z.strictObject({
    model: z.literal('random-walk'),
    mean: z.number(),
    /** Typical distance from the mean (the wander stays within ±spread). */
    spread: z.number().min(0),
    /** Time for a typical swing. */
    timescaleS: z.number().positive().default(3600),
    ...stream,
    ...noise,
    ...bounds,
  }),
  z.strictObject({
    model: z.literal('toggle'),
    periodS: z.number().positive(),
    onFraction: z.number().min(0).max(1).default(0.5),
  }),
  z.strictObject({
    /**
     * A totaliser (kWh, m³, rainfall): never decreases. `start` at `since`, then on average
     * `perHour` more each hour, faster and slower by `variation` as the load changes; each
     * simulated device (seed) runs at its own pace within ±`spread` of perHour.
     */
    model: z.literal('counter'),
    start: z.number().min(0),
    since: isoInstant.default('2025-01-01T00:00:00+08:00'),
    perHour: z.number().positive(),
    spread: z.number().min(0).max(0.9).default(0.2),
    /** At most 0.9, so the counter always moves forward a little, even in its slowest phase. */
    variation: z.number().min(0).max(0.9).default(0.5),
    /** How long a faster or slower phase lasts. */
    timescaleS: z.number().positive().default(3600),
  }),
  z.strictObject({
    /**
     * Piecewise constant: every `everyS` seconds one of `values` is picked at random (from the
     * seed). Repeat a value to make it likelier: [0, 0, 0, 1] is 0 three times in four.
     */
    model: z.literal('step'),
    values: z.union([z.array(z.number()).min(1), z.array(z.boolean()).min(1)]),
    everyS: z.number().positive(),
  }),
]);

export type Simulation = z.infer<typeof simulationSchema>;
export type SimulationModel = Simulation['model'];

/** What kind of value a simulation produces, to check it against the point's type. */
export function simulationValueKind(sim: Simulation): 'number' | 'boolean' | 'string' {
  switch (sim.model) {
    case 'constant':
      return typeof sim.value === 'boolean' ? 'boolean' : typeof sim.value === 'string' ? 'string' : 'number';
    case 'toggle':
      return 'boolean';
    case 'step':
      return typeof sim.values[0] === 'boolean' ? 'boolean' : 'number';
    default:
      return 'number';
  }
}
