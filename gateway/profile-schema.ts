// The device profile file format (YAML in device-profiles/), as a zod schema: a device model's
// Modbus register map plus how the simulator fakes each point. Pure, no I/O. The technician's
// guide with worked examples is docs/device-profiles.md; editors validate against
// device-profiles/profile.schema.json, generated from this schema (profile-json-schema.ts).
//
// One device model per file named `<name>.yaml`:
//
//   name: th-transmitter         # lowercase id; the file name; sent as `profile` in telemetry
//   manufacturer: …  model: …  description: …
//   measurement: weather         # store measurement of this device's readings (air, weather, …)
//   source: [ … ]                # where the register map comes from (manual, code, DOMAIN.md §)
//   evidence: documented         # documented | weak (⚠ not checked against a primary manual)
//                                # | generic (written from the general pattern, no manual found)
//   caveats: [ … ]               # optional: known variants, doubts
//   points:
//     - name: temperature        # telemetry field name: lowercase [a-z][a-z0-9_]*
//       table: holding           # holding | input | coil | discrete
//       address: 0x0001          # 0-BASED PROTOCOL ADDRESS (the number on the wire), hex or decimal;
//                                #   NOT the 4xxxx/3xxxx reference: "register 40002" is address 1
//       type: int16              # int16 uint16 int32 uint32 int64 uint64 float32 float64 (registers),
//                                #   string (needs `length` in registers), bool (coil/discrete;
//                                #   in holding/input it needs `bit: 0..15`, 0 = least significant)
//       wordOrder: ABCD          # ABCD (default, big-endian) | CDAB | BADC | DCBA, see byte-order.ts
//       scale: 0.1               # engineering value = raw × scale + offset (defaults 1 and 0)
//       unit: "°C"               # one of units.ts
//       access: r                # r (default) | rw (coil and holding only)
//       deadband: 0.2            # optional: publish only on a change of more than this (deadband.ts)
//       alarm: { high: 25, highHigh: 50 }   # optional hints for default alarm rules
//       simulation: { model: diurnal, mean: -22, amplitude: 6 }   # see simulation-schema.ts
//
// Points may not overlap in a table (bit points may share a register with other bit points
// only); names are unique.
import { z } from 'zod';
import { fieldNameSchema, measurementSchema, profileNameSchema } from '../protocol/index.js';
import { simulationSchema, simulationValueKind } from './simulation-schema.js';
import { KNOWN_UNITS, suggestUnit, type Unit } from './units.js';

export { simulationSchema, type Simulation } from './simulation-schema.js';

export const TABLES = ['holding', 'input', 'coil', 'discrete'] as const;
export const NUMERIC_TYPES = ['int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'float32', 'float64'] as const;
export const POINT_TYPES = [...NUMERIC_TYPES, 'string', 'bool'] as const;
export const WORD_ORDERS = ['ABCD', 'CDAB', 'BADC', 'DCBA'] as const;
export const ACCESS_MODES = ['r', 'rw'] as const;

export type Table = (typeof TABLES)[number];
export type NumericType = (typeof NUMERIC_TYPES)[number];
export type PointType = (typeof POINT_TYPES)[number];
export type WordOrder = (typeof WORD_ORDERS)[number];

export const MAX_ADDRESS = 0xffff;
/** A string must fit in one FC03/FC04 read (125 registers). */
export const MAX_STRING_REGISTERS = 125;

const NUMERIC_WIDTH: Record<NumericType, 1 | 2 | 4> = {
  int16: 1,
  uint16: 1,
  int32: 2,
  uint32: 2,
  float32: 2,
  int64: 4,
  uint64: 4,
  float64: 4,
};

export function isNumericType(type: PointType): type is NumericType {
  return type !== 'bool' && type !== 'string';
}

/** Registers a value of a fixed-width numeric type occupies: 1, 2 or 4. */
export function numericWidth(type: NumericType): 1 | 2 | 4 {
  return NUMERIC_WIDTH[type];
}

/**
 * How many registers (holding/input) or bits (coil/discrete) a point occupies on the wire:
 * 1 for a bool (one bit, or the one register holding its `bit`), `length` for a string,
 * 1/2/4 for 16/32/64-bit numbers. What read planning and overlap checks count.
 */
export function registerCount(point: Pick<ProfilePoint, 'type' | 'length'>): number {
  if (point.type === 'bool') return 1;
  if (point.type === 'string') {
    if (point.length === undefined) throw new TypeError('a string point needs a length');
    return point.length;
  }
  return NUMERIC_WIDTH[point.type];
}

export function isBitTable(table: Table): table is 'coil' | 'discrete' {
  return table === 'coil' || table === 'discrete';
}

/** A bool kept in one bit of a holding/input register (status and alarm words). */
export function isBitInRegister(point: Pick<ProfilePoint, 'type' | 'table'>): boolean {
  return point.type === 'bool' && !isBitTable(point.table);
}

const hex = (n: number) => `0x${n.toString(16).padStart(4, '0')}`;

const addressSchema = z
  .union([
    // Bounds repeated on the number branch so editors (JSON Schema) flag a 40001 at once.
    z.number().int('address must be a whole number').min(0, 'address must be ≥ 0').max(MAX_ADDRESS, 'address must be ≤ 0xFFFF: it is the 0-based protocol address, not a 4xxxx/3xxxx register reference'),
    z
      .string()
      .regex(/^(0[xX][0-9a-fA-F]{1,4}|[0-9]{1,5})$/, 'address must be a number such as 0x2000 or 8192')
      .transform((text) => Number(text)),
  ])
  .meta({ description: '0-based protocol address (the number sent on the wire), hex (0x2000) or decimal (8192). Not the 4xxxx/3xxxx reference: "register 40002" is address 1.' })
  .pipe(
    z
      .number()
      .min(0, 'address must be ≥ 0')
      .max(MAX_ADDRESS, 'address must be ≤ 0xFFFF: it is the 0-based protocol address, not a 4xxxx/3xxxx register reference'),
  );

const unitNames = Object.keys(KNOWN_UNITS) as [Unit, ...Unit[]];
const unitSchema = z.enum(unitNames, {
  error: (issue) => {
    const given = typeof issue.input === 'string' ? issue.input : JSON.stringify(issue.input);
    const suggestion = typeof issue.input === 'string' ? suggestUnit(issue.input) : undefined;
    return `unknown unit "${given}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; known units: ${unitNames.join(', ')}`;
  },
});

/** Optional hints for default alarm rules (ingest may use them; stations can override). */
export const alarmHintsSchema = z.strictObject({
  lowLow: z.number().optional(),
  low: z.number().optional(),
  high: z.number().optional(),
  highHigh: z.number().optional(),
  /** Where the thresholds come from (a standard, the manual). */
  source: z.string().max(500).optional(),
});

// `.meta({ description })` texts are what editors show on hover (profile.schema.json).
const pointFieldsSchema = z.strictObject({
  name: fieldNameSchema.meta({ description: 'Telemetry field name: lowercase letters, digits and "_", starting with a letter.' }),
  table: z.enum(TABLES).meta({ description: 'holding (FC03), input (FC04), coil (FC01), discrete (FC02).' }),
  address: addressSchema,
  type: z.enum(POINT_TYPES).meta({ description: 'int16/uint16 (1 register), int32/uint32/float32 (2), int64/uint64/float64 (4), string (`length` registers), bool (a coil/discrete bit, or `bit` of a holding/input register).' }),
  bit: z
    .number()
    .int()
    .min(0, 'bit must be 0..15 (0 = least significant bit)')
    .max(15, 'bit must be 0..15 (0 = least significant bit): a register has 16 bits')
    .optional()
    .meta({ description: 'For a bool in a holding/input register: which bit, 0 = least significant, 15 = most.' }),
  length: z
    .number()
    .int()
    .min(1)
    .max(MAX_STRING_REGISTERS, `length must be ≤ ${MAX_STRING_REGISTERS} registers (one read)`)
    .optional()
    .meta({ description: 'Registers the point occupies: required for string (2 ASCII characters per register); for numbers an optional cross-check.' }),
  wordOrder: z
    .enum(WORD_ORDERS)
    .default('ABCD')
    .meta({ description: 'Byte order, A = most significant byte. ABCD big-endian (default); CDAB registers reversed (low word first); BADC bytes swapped in each register; DCBA little-endian. 64-bit: ABCDEFGH, GHEFCDAB, BADCFEHG, HGFEDCBA.' }),
  scale: z
    .number()
    .refine((s) => s !== 0 && Number.isFinite(s), 'scale must be a finite number other than 0')
    .default(1)
    .meta({ description: 'Engineering value = raw × scale + offset.' }),
  offset: z.number().default(0).meta({ description: 'Engineering value = raw × scale + offset.' }),
  unit: unitSchema.optional().meta({ description: 'Engineering unit, from the known list (docs/device-profiles.md).' }),
  access: z.enum(ACCESS_MODES).default('r').meta({ description: 'r (read only, default) or rw (coil and holding only): whether commands may write the point.' }),
  deadband: z
    .number()
    .min(0, 'deadband must be ≥ 0')
    .optional()
    .meta({ description: 'Publish only when the value differs from the last published one by more than this (engineering units). Numbers only.' }),
  alarm: alarmHintsSchema.optional().meta({ description: 'Hints for default alarm rules (lowLow ≤ low ≤ high ≤ highHigh); sites may override.' }),
  description: z.string().max(500).optional(),
  simulation: simulationSchema.optional().meta({ description: 'How simulators/modbus fakes this point (ignored by the gateway).' }),
});

type PointFields = z.infer<typeof pointFieldsSchema>;

function checkShape(point: PointFields, ctx: z.RefinementCtx): void {
  const issue = (field: string, message: string) => ctx.addIssue({ code: 'custom', path: [field], message });
  const bitTable = isBitTable(point.table);
  if (bitTable && point.type !== 'bool') issue('type', `a ${point.table} point must have type bool, not ${point.type}`);
  if (bitTable && point.bit !== undefined) issue('bit', `bit is for a bool inside a holding/input register; a ${point.table} is already a single bit`);
  if (!bitTable && point.type === 'bool' && point.bit === undefined) {
    issue('bit', `a bool in the ${point.table} table needs bit: 0..15 (0 = least significant); whole-bit points belong in the coil or discrete table`);
  }
  if (point.type !== 'bool' && point.bit !== undefined) issue('bit', `bit is only for bool points, not ${point.type}`);
  if (point.type === 'string' && point.length === undefined) issue('length', 'a string needs length: the number of registers it occupies (2 ASCII characters each)');
  if (isNumericType(point.type) && point.length !== undefined && point.length !== NUMERIC_WIDTH[point.type]) {
    issue('length', `a ${point.type} occupies ${NUMERIC_WIDTH[point.type]} register(s), not ${point.length}`);
  }
  if (point.type === 'bool' && point.length !== undefined && point.length !== 1) issue('length', 'a bool occupies one bit or register');
  if (!isNumericType(point.type)) {
    if (point.scale !== 1 || point.offset !== 0) issue('scale', `scale and offset apply to numbers, not to a ${point.type}`);
    if (point.deadband !== undefined) issue('deadband', `deadband applies to numbers; a ${point.type} is published on every change`);
    if (point.alarm !== undefined) issue('alarm', `alarm thresholds apply to numbers, not to a ${point.type}`);
    if (point.type === 'bool' && point.wordOrder !== 'ABCD') issue('wordOrder', 'a bool has no byte order: bit 0 is the least significant bit of the register as sent');
  }
  if (point.access === 'rw' && (point.table === 'input' || point.table === 'discrete')) {
    issue('access', `the ${point.table} table is read-only in Modbus: use holding or coil for a writable point`);
  }
  const last = point.address + (point.type === 'string' && point.length === undefined ? 1 : registerCount(point)) - 1;
  if (last > MAX_ADDRESS) issue('address', `a ${point.type} at 0x${point.address.toString(16)} runs past address 0xFFFF`);
}

function checkAlarm(point: PointFields, ctx: z.RefinementCtx): void {
  const alarm = point.alarm;
  if (!alarm) return;
  const ladder = [alarm.lowLow, alarm.low, alarm.high, alarm.highHigh].filter((v): v is number => v !== undefined);
  if (ladder.some((v, i) => i > 0 && v < ladder[i - 1]!)) {
    ctx.addIssue({ code: 'custom', path: ['alarm'], message: 'alarm thresholds must be ordered lowLow ≤ low ≤ high ≤ highHigh' });
  }
}

function checkSimulation(point: PointFields, ctx: z.RefinementCtx): void {
  const sim = point.simulation;
  if (!sim) return;
  const issue = (message: string, field?: string) => ctx.addIssue({ code: 'custom', path: field ? ['simulation', field] : ['simulation'], message });
  const kind = simulationValueKind(sim);
  const wanted = point.type === 'bool' ? 'boolean' : point.type === 'string' ? 'string' : 'number';
  if (kind !== wanted) {
    issue(
      point.type === 'bool'
        ? 'a bool point needs a boolean simulation (toggle, step of booleans, or constant true/false)'
        : point.type === 'string'
          ? 'a string point needs a constant string simulation'
          : `model ${sim.model} gives ${kind === 'boolean' ? 'booleans' : 'strings'}, the point is ${point.type}`,
    );
  }
  if (point.type === 'string' && sim.model === 'constant' && typeof sim.value === 'string' && point.length !== undefined) {
    if (!/^[\x20-\x7e]*$/.test(sim.value)) issue('a string register holds printable ASCII only', 'value');
    if (sim.value.length > point.length * 2) issue(`"${sim.value}" needs ${Math.ceil(sim.value.length / 2)} registers, length is ${point.length}`, 'value');
  }
  if ('min' in sim && sim.min !== undefined && sim.max !== undefined && sim.min > sim.max) issue(`min ${sim.min} is above max ${sim.max}`);
  if (sim.model === 'episodes') {
    const [shortest, longest] = sim.durationHours;
    if (shortest > longest) issue('durationHours is [shortest, longest]', 'durationHours');
    if (longest > sim.everyHours) issue('an episode must fit in its window: longest duration ≤ everyHours', 'durationHours');
  }
}

/**
 * A point: its fields, then the rules between them. Checked per point, so one point's typo does
 * not hide another point's problem (zod skips refinements of an object whose fields failed).
 */
export const pointSchema = pointFieldsSchema.superRefine((point, ctx) => {
  checkShape(point, ctx);
  checkAlarm(point, ctx);
  checkSimulation(point, ctx);
});

export type ProfilePoint = z.infer<typeof pointSchema>;

interface Occupant {
  point: ProfilePoint;
  index: number;
}

function describeOccupant({ point }: Occupant): string {
  const where = `${point.table} ${hex(point.address)}`;
  return point.bit !== undefined ? `point "${point.name}" (${where} bit ${point.bit})` : `point "${point.name}" (${where}, ${point.type})`;
}

/**
 * Reports duplicate names, and every point that shares a register (or bit) with an earlier one
 * in the same table. Bit points may share a register with other bit points, on different bits.
 */
function checkOverlaps(points: ProfilePoint[], ctx: z.RefinementCtx): void {
  const names = new Map<string, number>();
  points.forEach((point, index) => {
    const previous = names.get(point.name);
    if (previous !== undefined) ctx.addIssue({ code: 'custom', path: ['points', index, 'name'], message: `duplicate point name (also points[${previous}])` });
    else names.set(point.name, index);
  });
  // Per table and address: the whole-register occupant, or the bit occupants by bit number.
  const whole = new Map<string, Occupant>();
  const bits = new Map<string, Map<number, Occupant>>();
  points.forEach((point, index) => {
    if (point.type === 'string' && point.length === undefined) return; // already reported
    const me: Occupant = { point, index };
    const report = (message: string) => ctx.addIssue({ code: 'custom', path: ['points', index, 'address'], message });
    if (isBitInRegister(point) && point.bit !== undefined) {
      const key = `${point.table}:${point.address}`;
      const numeric = whole.get(key);
      if (numeric) return report(`bit ${point.bit} of ${point.table} ${hex(point.address)} overlaps ${describeOccupant(numeric)}: a bit point may share its register only with other bit points`);
      const inRegister = bits.get(key) ?? new Map<number, Occupant>();
      const same = inRegister.get(point.bit);
      if (same) return report(`bit ${point.bit} of ${point.table} ${hex(point.address)} is also ${describeOccupant(same)}`);
      inRegister.set(point.bit, me);
      bits.set(key, inRegister);
      return;
    }
    for (let at = point.address; at < point.address + registerCount(point) && at <= MAX_ADDRESS; at++) {
      const key = `${point.table}:${at}`;
      const other = whole.get(key) ?? bits.get(key)?.values().next().value;
      if (other) return report(`overlaps ${describeOccupant(other)}`);
    }
    for (let at = point.address; at < point.address + registerCount(point); at++) whole.set(`${point.table}:${at}`, me);
  });
}

export const EVIDENCE_LEVELS = ['documented', 'weak', 'generic'] as const;

export const deviceProfileSchema = z
  .strictObject({
    name: profileNameSchema,
    manufacturer: z.string().min(1).max(200),
    model: z.string().min(1).max(200),
    description: z.string().max(2000).optional(),
    measurement: measurementSchema,
    source: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
      .transform((s) => (typeof s === 'string' ? [s] : s))
      .meta({ description: 'Where the register map comes from: manual, open-source driver, DOMAIN.md section.' }),
    evidence: z
      .enum(EVIDENCE_LEVELS)
      .default('documented')
      .meta({ description: 'documented (primary manual or tested driver), weak (⚠ not checked against a primary manual), generic (written from the common pattern, no manual found).' }),
    caveats: z.array(z.string()).optional(),
    points: z.array(pointSchema).min(1, 'a profile needs at least one point'),
  })
  .superRefine((profile, ctx) => checkOverlaps(profile.points, ctx));

export type DeviceProfile = z.infer<typeof deviceProfileSchema>;
export type Evidence = DeviceProfile['evidence'];
/** What a profile file may contain before defaults are applied (for tests and tools that build profiles). */
export type DeviceProfileInput = z.input<typeof deviceProfileSchema>;
