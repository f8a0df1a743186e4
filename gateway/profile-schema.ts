// The device profile file format (YAML in device-profiles/), as a zod schema: a device
// model's Modbus register map plus how the simulator fakes each point. Pure, no I/O.
//
// File format, one device model per file named `<name>.yaml`:
//
//   name: th-transmitter         # lowercase id; the file name; sent as `profile` in telemetry
//   manufacturer: …              # free text
//   model: …                     # free text
//   description: …               # free text
//   measurement: weather         # store measurement of this device's readings (air, weather, …)
//   source: [ … ]                # where the register map comes from (manual, code, DOMAIN.md §)
//   evidence: documented         # documented | weak (⚠ not checked against a primary manual)
//                                # | generic (written from the general pattern, no manual found)
//   caveats: [ … ]               # optional: known variants, doubts
//   points:
//     - name: temperature        # telemetry field name: lowercase [a-z][a-z0-9_]*
//       table: holding           # holding | input | coil | discrete
//       address: 0x0001          # 0-BASED PROTOCOL ADDRESS, the number sent on the wire.
//                                #   Hex (0x0001) and decimal (1) are the same number; a quoted
//                                #   "0x0001" is accepted too. It is NOT the 1-based register
//                                #   number or the 4xxxx/3xxxx reference printed in many manuals:
//                                #   "register 40002" is address 1.
//       type: int16              # int16 | uint16 | int32 | uint32 | float32 (registers),
//                                #   bool (coil and discrete tables, and only there)
//       wordOrder: ABCD          # byte order on the wire, A = most significant byte. ABCD is
//                                #   big-endian (Modbus default), CDAB swaps the two registers of
//                                #   a 32-bit value, BADC/DCBA also swap bytes inside registers
//                                #   (16-bit types only honour that byte swap). Default ABCD.
//       scale: 0.1               # engineering value = raw × scale + offset (defaults 1 and 0)
//       offset: 0
//       unit: "°C"
//       description: …
//       simulation: { model: diurnal, mean: -22, amplitude: 6 }   # see simulationSchema
//
// Points may not overlap in the same table; names are unique.
import { z } from 'zod';
import { fieldNameSchema, measurementSchema, profileNameSchema } from '../protocol/index.js';

export const TABLES = ['holding', 'input', 'coil', 'discrete'] as const;
export const NUMERIC_TYPES = ['int16', 'uint16', 'int32', 'uint32', 'float32'] as const;
export const POINT_TYPES = [...NUMERIC_TYPES, 'bool'] as const;
export const WORD_ORDERS = ['ABCD', 'CDAB', 'BADC', 'DCBA'] as const;

export type Table = (typeof TABLES)[number];
export type NumericType = (typeof NUMERIC_TYPES)[number];
export type PointType = (typeof POINT_TYPES)[number];
export type WordOrder = (typeof WORD_ORDERS)[number];

export const MAX_ADDRESS = 0xffff;

/** How many registers (or bits, for bool) a value of this type occupies. */
export function pointWidth(type: PointType): 1 | 2 {
  return type === 'int32' || type === 'uint32' || type === 'float32' ? 2 : 1;
}

export function isBitTable(table: Table): table is 'coil' | 'discrete' {
  return table === 'coil' || table === 'discrete';
}

const addressSchema = z
  .union([
    z.number().int('address must be a whole number'),
    z
      .string()
      .regex(/^(0x[0-9a-f]{1,4}|[0-9]{1,5})$/i, 'address must be a number such as 0x2000 or 8192')
      .transform((text) => Number(text)),
  ])
  .pipe(
    z
      .number()
      .min(0, 'address must be ≥ 0')
      .max(MAX_ADDRESS, 'address must be ≤ 0xFFFF: it is the 0-based protocol address, not a 4xxxx/3xxxx register reference'),
  );

// Simulation models. They live in the file format (so a profile is validated once, at load)
// but only simulators/modbus reads them; the gateway ignores this section.
const bounds = { min: z.number().optional(), max: z.number().optional() };
const noise = {
  /** Amplitude of a smooth wobble added to the model (same unit as the point). */
  noise: z.number().min(0).default(0),
  /** How fast the wobble changes: the distance between its random knots. */
  noiseTimescaleS: z.number().positive().default(300),
};
/** Points with the same stream share the same random episodes/wander (e.g. PM10 follows PM2.5). */
const stream = { stream: z.string().min(1).max(64).optional() };

export const simulationSchema = z.discriminatedUnion('model', [
  z.strictObject({ model: z.literal('constant'), value: z.union([z.number(), z.boolean()]) }),
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
    /** Highest level an episode can reach (each episode peaks somewhere between base and peak). */
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
]);

export const pointSchema = z.strictObject({
  name: fieldNameSchema,
  table: z.enum(TABLES),
  address: addressSchema,
  type: z.enum(POINT_TYPES),
  wordOrder: z.enum(WORD_ORDERS).default('ABCD'),
  scale: z.number().refine((s) => s !== 0 && Number.isFinite(s), 'scale must be a finite number other than 0').default(1),
  offset: z.number().default(0),
  unit: z.string().max(32).optional(),
  description: z.string().max(500).optional(),
  simulation: simulationSchema.optional(),
});

function checkPoint(point: z.infer<typeof pointSchema>, ctx: z.RefinementCtx, path: (string | number)[]): void {
  const bitTable = isBitTable(point.table);
  if (bitTable && point.type !== 'bool') {
    ctx.addIssue({ code: 'custom', path: [...path, 'type'], message: `a ${point.table} point must have type bool, not ${point.type}` });
  }
  if (!bitTable && point.type === 'bool') {
    ctx.addIssue({ code: 'custom', path: [...path, 'type'], message: `type bool belongs in the coil or discrete table, not ${point.table}` });
  }
  const last = point.address + pointWidth(point.type) - 1;
  if (last > MAX_ADDRESS) {
    ctx.addIssue({ code: 'custom', path: [...path, 'address'], message: `a ${point.type} at 0x${point.address.toString(16)} runs past address 0xFFFF` });
  }
  const sim = point.simulation;
  if (!sim) return;
  const simPath = [...path, 'simulation'];
  const producesBoolean = sim.model === 'toggle' || (sim.model === 'constant' && typeof sim.value === 'boolean');
  if (producesBoolean !== (point.type === 'bool')) {
    ctx.addIssue({
      code: 'custom',
      path: simPath,
      message: point.type === 'bool' ? 'a bool point needs a boolean simulation (toggle, or constant true/false)' : `model ${sim.model} gives booleans, the point is ${point.type}`,
    });
  }
  if ('min' in sim && sim.min !== undefined && sim.max !== undefined && sim.min > sim.max) {
    ctx.addIssue({ code: 'custom', path: simPath, message: `min ${sim.min} is above max ${sim.max}` });
  }
  if (sim.model === 'episodes') {
    const [shortest, longest] = sim.durationHours;
    if (shortest > longest) ctx.addIssue({ code: 'custom', path: [...simPath, 'durationHours'], message: 'durationHours is [shortest, longest]' });
    if (longest > sim.everyHours) ctx.addIssue({ code: 'custom', path: [...simPath, 'durationHours'], message: 'an episode must fit in its window: longest duration ≤ everyHours' });
    if (sim.peak < sim.base) ctx.addIssue({ code: 'custom', path: [...simPath, 'peak'], message: 'peak must be ≥ base' });
  }
}

/** Reports every pair of points that share a register (or bit) in the same table. */
function checkOverlaps(points: z.infer<typeof pointSchema>[], ctx: z.RefinementCtx): void {
  const seen = new Map<string, number>();
  points.forEach((point, index) => {
    const previous = seen.get(point.name);
    if (previous !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['points', index, 'name'], message: `duplicate point name (also points[${previous}])` });
    } else {
      seen.set(point.name, index);
    }
  });
  const sorted = points
    .map((point, index) => ({ point, index, end: point.address + pointWidth(point.type) }))
    .sort((a, b) => (a.point.table === b.point.table ? a.point.address - b.point.address : a.point.table < b.point.table ? -1 : 1));
  for (let i = 1; i < sorted.length; i++) {
    const before = sorted[i - 1]!;
    const after = sorted[i]!;
    if (before.point.table === after.point.table && after.point.address < before.end) {
      ctx.addIssue({
        code: 'custom',
        path: ['points', after.index, 'address'],
        message: `overlaps point "${before.point.name}" (${before.point.table} 0x${before.point.address.toString(16)}, ${before.point.type})`,
      });
    }
  }
}

export const deviceProfileSchema = z
  .strictObject({
    name: profileNameSchema,
    manufacturer: z.string().min(1).max(200),
    model: z.string().min(1).max(200),
    description: z.string().max(2000).optional(),
    measurement: measurementSchema,
    source: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).transform((s) => (typeof s === 'string' ? [s] : s)),
    evidence: z.enum(['documented', 'weak', 'generic']).default('documented'),
    caveats: z.array(z.string()).optional(),
    points: z.array(pointSchema).min(1, 'a profile needs at least one point'),
  })
  .superRefine((profile, ctx) => {
    profile.points.forEach((point, index) => checkPoint(point, ctx, ['points', index]));
    checkOverlaps(profile.points, ctx);
  });

export type Simulation = z.infer<typeof simulationSchema>;
export type ProfilePoint = z.infer<typeof pointSchema>;
export type DeviceProfile = z.infer<typeof deviceProfileSchema>;
/** What a profile file may contain before defaults are applied (for tests and tools that build profiles). */
export type DeviceProfileInput = z.input<typeof deviceProfileSchema>;
