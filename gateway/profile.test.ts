// Device profile loading: the shipped library, and errors that name file, point and problem.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultProfilesDir, findPackageRoot, loadProfile, loadProfileLibrary, parseProfile, ProfileError, registerCount } from './profile.js';

describe('the shipped profile library', () => {
  it('loads th-transmitter and pm-sensor with the register maps of DOMAIN.md §4', async () => {
    const library = await loadProfileLibrary(defaultProfilesDir());
    const th = library.get('th-transmitter');
    const pm = library.get('pm-sensor');
    expect(th?.measurement).toBe('weather');
    expect(th?.points.map(({ name, table, address, type, scale }) => ({ name, table, address, type, scale }))).toEqual([
      { name: 'humidity', table: 'holding', address: 0, type: 'uint16', scale: 0.1 },
      { name: 'temperature', table: 'holding', address: 1, type: 'int16', scale: 0.1 },
    ]);
    expect(pm?.measurement).toBe('air');
    expect(pm?.points.map(({ name, table, address, type, scale, unit }) => ({ name, table, address, type, scale, unit }))).toEqual([
      { name: 'pm25', table: 'holding', address: 4, type: 'uint16', scale: 1, unit: 'µg/m³' },
      { name: 'pm10', table: 'holding', address: 9, type: 'uint16', scale: 1, unit: 'µg/m³' },
    ]);
  });

  it('cites sources and marks the weaker evidence ⚠', async () => {
    const library = await loadProfileLibrary(defaultProfilesDir());
    for (const profile of library.values()) expect(profile.source.length).toBeGreaterThan(0);
    const pm = library.get('pm-sensor')!;
    expect(pm.evidence).toBe('weak');
    expect(pm.caveats?.some((c) => c.includes('⚠'))).toBe(true);
    expect(library.get('th-transmitter')!.evidence).toBe('documented');
  });

  it('holds at least 12 device types, each citing its sources; generic ones say so', async () => {
    const library = await loadProfileLibrary(defaultProfilesDir());
    expect(library.size).toBeGreaterThanOrEqual(12);
    for (const profile of library.values()) {
      expect(profile.source.length, profile.name).toBeGreaterThan(0);
      if (profile.evidence !== 'documented') expect(profile.caveats?.some((c) => c.includes('⚠')), profile.name).toBe(true);
    }
    expect(library.get('generic-lel-gas-detector')!.evidence).toBe('generic');
    expect(library.get('generic-gamma-dose-rate')!.evidence).toBe('generic');
    for (const measurement of ['weather', 'air', 'soil', 'water', 'gas', 'radiation', 'energy']) {
      expect([...library.values()].some((p) => p.measurement === measurement), measurement).toBe(true);
    }
  });

  it('the Chint meters: float32 ABCD, and the DTSU666 import-energy doubt stated', async () => {
    const library = await loadProfileLibrary(defaultProfilesDir());
    for (const name of ['chint-ddsu666', 'chint-dtsu666']) {
      const meter = library.get(name)!;
      expect(meter.points.every((p) => p.type === 'float32' && p.wordOrder === 'ABCD'), name).toBe(true);
      expect(meter.measurement).toBe('energy');
    }
    const dtsu = library.get('chint-dtsu666')!;
    expect(dtsu.points.find((p) => p.name === 'import_energy')!.address).toBe(0x401e);
    expect(dtsu.caveats!.join(' ')).toMatch(/⚠ Import energy: DOMAIN\.md gives 0x401E, but OpenEMS reads energy at 0x4000/);
    const ddsu = library.get('chint-ddsu666')!;
    expect(ddsu.points.map((p) => [p.name, p.address])).toContainEqual(['import_energy', 0x4000]);
  });

  it('finds the package root from the gateway sources', () => {
    expect(path.basename(defaultProfilesDir())).toBe('device-profiles');
    expect(findPackageRoot(path.join(findPackageRoot(), 'gateway'))).toBe(findPackageRoot());
  });
});

const minimal = {
  name: 'demo',
  manufacturer: 'test',
  model: 'test',
  measurement: 'weather',
  source: 'a test',
  points: [{ name: 'temperature', table: 'holding', address: 1, type: 'int16', scale: 0.1 }],
};

function problemsOf(raw: unknown): string {
  try {
    parseProfile(raw, 'demo.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ProfileError);
    return (err as Error).message;
  }
  throw new Error('expected the profile to be rejected');
}

describe('parseProfile', () => {
  it('applies defaults', () => {
    const profile = parseProfile(minimal);
    expect(profile.points[0]).toMatchObject({ wordOrder: 'ABCD', scale: 0.1, offset: 0, access: 'r' });
    expect(profile.evidence).toBe('documented');
    expect(profile.source).toEqual(['a test']);
  });

  it('reads hex and decimal addresses as the same number, quoted or not', () => {
    const addresses = ['0x2000', '8192', 8192].map((address) => parseProfile({ ...minimal, points: [{ ...minimal.points[0], address }] }).points[0]!.address);
    expect(addresses).toEqual([8192, 8192, 8192]);
  });

  it.each([
    {
      what: 'overlapping points',
      points: [
        { name: 'voltage', table: 'holding', address: 0x2000, type: 'float32' },
        { name: 'current', table: 'holding', address: 0x2001, type: 'float32' },
      ],
      expected: /demo\.yaml: point "current" \(points\[1\]\) address: overlaps point "voltage" \(holding 0x2000, float32\)/,
    },
    {
      what: 'an address past 0xFFFF (a 4xxxx reference)',
      points: [{ name: 'temperature', table: 'holding', address: 400002, type: 'int16' }],
      expected: /point "temperature" \(points\[0\]\) address: address must be ≤ 0xFFFF: it is the 0-based protocol address/,
    },
    {
      what: 'a 32-bit value running past the end',
      points: [{ name: 'energy', table: 'input', address: 0xffff, type: 'uint32' }],
      expected: /point "energy" \(points\[0\]\) address: a uint32 at 0xffff runs past address 0xFFFF/,
    },
    {
      what: 'a bool in a register without its bit',
      points: [{ name: 'alarm', table: 'holding', address: 3, type: 'bool' }],
      expected: /point "alarm" \(points\[0\]\) bit: a bool in the holding table needs bit: 0\.\.15/,
    },
    {
      what: 'a bit past 15',
      points: [{ name: 'alarm', table: 'holding', address: 3, type: 'bool', bit: 16 }],
      expected: /point "alarm" \(points\[0\]\) bit: bit must be 0\.\.15 \(0 = least significant bit\): a register has 16 bits/,
    },
    {
      what: 'a bit on a number',
      points: [{ name: 'status', table: 'holding', address: 3, type: 'uint16', bit: 2 }],
      expected: /point "status" \(points\[0\]\) bit: bit is only for bool points, not uint16/,
    },
    {
      what: 'a bit on a coil',
      points: [{ name: 'siren', table: 'coil', address: 0, type: 'bool', bit: 1 }],
      expected: /point "siren" \(points\[0\]\) bit: bit is for a bool inside a holding\/input register/,
    },
    {
      what: 'a bit point overlapping a numeric point in the same register',
      points: [
        { name: 'status', table: 'holding', address: 0x10, type: 'uint16' },
        { name: 'alarm', table: 'holding', address: 0x10, type: 'bool', bit: 3 },
      ],
      expected: /point "alarm" \(points\[1\]\) address: bit 3 of holding 0x0010 overlaps point "status" \(holding 0x0010, uint16\): a bit point may share its register only with other bit points/,
    },
    {
      what: 'a numeric point over a register of bit points',
      points: [
        { name: 'alarm', table: 'input', address: 0x11, type: 'bool', bit: 0 },
        { name: 'energy', table: 'input', address: 0x10, type: 'float32' },
      ],
      expected: /point "energy" \(points\[1\]\) address: overlaps point "alarm" \(input 0x0011 bit 0\)/,
    },
    {
      what: 'the same bit twice',
      points: [
        { name: 'alarm', table: 'holding', address: 1, type: 'bool', bit: 3 },
        { name: 'fault', table: 'holding', address: 1, type: 'bool', bit: 3 },
      ],
      expected: /point "fault" \(points\[1\]\) address: bit 3 of holding 0x0001 is also point "alarm" \(holding 0x0001 bit 3\)/,
    },
    {
      what: 'a 32-bit type with a length that is not 2',
      points: [{ name: 'energy', table: 'input', address: 0, type: 'float32', length: 1 }],
      expected: /point "energy" \(points\[0\]\) length: a float32 occupies 2 register\(s\), not 1/,
    },
    {
      what: 'a 64-bit type overlapping the next point',
      points: [
        { name: 'energy', table: 'holding', address: 0, type: 'uint64' },
        { name: 'power', table: 'holding', address: 3, type: 'float32' },
      ],
      expected: /point "power" \(points\[1\]\) address: overlaps point "energy" \(holding 0x0000, uint64\)/,
    },
    {
      what: 'a string without length',
      points: [{ name: 'serial', table: 'holding', address: 0, type: 'string' }],
      expected: /point "serial" \(points\[0\]\) length: a string needs length/,
    },
    {
      what: 'a string longer than one read',
      points: [{ name: 'serial', table: 'holding', address: 0, type: 'string', length: 126 }],
      expected: /point "serial" \(points\[0\]\) length: length must be ≤ 125 registers/,
    },
    {
      what: 'a string simulation that does not fit',
      points: [{ name: 'serial', table: 'holding', address: 0, type: 'string', length: 2, simulation: { model: 'constant', value: 'TJ-00001' } }],
      expected: /point "serial" \(points\[0\]\) simulation\.value: "TJ-00001" needs 4 registers, length is 2/,
    },
    {
      what: 'an unknown unit, naming the allowed ones',
      points: [{ name: 'temperature', table: 'holding', address: 1, type: 'int16', unit: 'degC' }],
      expected: /point "temperature" \(points\[0\]\) unit: unknown unit "degC" \(did you mean "°C"\?\); known units: °C, %RH, .*µg\/m³.*kWh/,
    },
    {
      what: 'a Greek mu instead of the micro sign',
      points: [{ name: 'dose', table: 'holding', address: 1, type: 'uint16', unit: 'μSv/h' }],
      expected: /unknown unit "μSv\/h" \(did you mean "µSv\/h"\?\)/,
    },
    {
      what: 'scale 0',
      points: [{ name: 'temperature', table: 'holding', address: 1, type: 'int16', scale: 0 }],
      expected: /point "temperature" \(points\[0\]\) scale: scale must be a finite number other than 0/,
    },
    {
      what: 'a scale on a bool',
      points: [{ name: 'door', table: 'discrete', address: 1, type: 'bool', scale: 0.1 }],
      expected: /point "door" \(points\[0\]\) scale: scale and offset apply to numbers, not to a bool/,
    },
    {
      what: 'a writable input register',
      points: [{ name: 'setpoint', table: 'input', address: 1, type: 'uint16', access: 'rw' }],
      expected: /point "setpoint" \(points\[0\]\) access: the input table is read-only in Modbus/,
    },
    {
      what: 'an unknown access mode',
      points: [{ name: 'setpoint', table: 'holding', address: 1, type: 'uint16', access: 'w' }],
      expected: /point "setpoint" \(points\[0\]\) access:/,
    },
    {
      what: 'a negative deadband',
      points: [{ name: 'level', table: 'holding', address: 1, type: 'uint16', deadband: -1 }],
      expected: /point "level" \(points\[0\]\) deadband: deadband must be ≥ 0/,
    },
    {
      what: 'a deadband on a bool',
      points: [{ name: 'alarm', table: 'coil', address: 1, type: 'bool', deadband: 1 }],
      expected: /point "alarm" \(points\[0\]\) deadband: deadband applies to numbers/,
    },
    {
      what: 'alarm thresholds out of order',
      points: [{ name: 'gas', table: 'holding', address: 1, type: 'uint16', alarm: { high: 50, highHigh: 25 } }],
      expected: /point "gas" \(points\[0\]\) alarm: alarm thresholds must be ordered lowLow ≤ low ≤ high ≤ highHigh/,
    },
    {
      what: 'a number simulation on a string',
      points: [{ name: 'serial', table: 'holding', address: 0, type: 'string', length: 4, simulation: { model: 'constant', value: 5 } }],
      expected: /point "serial" \(points\[0\]\) simulation: a string point needs a constant string simulation/,
    },
    {
      what: 'a counter that does not count up',
      points: [{ name: 'energy', table: 'holding', address: 0, type: 'float32', simulation: { model: 'counter', start: 0, perHour: 0 } }],
      expected: /point "energy" \(points\[0\]\) simulation\.perHour:/,
    },
    {
      what: 'a number type in a coil',
      points: [{ name: 'siren', table: 'coil', address: 0, type: 'uint16' }],
      expected: /point "siren" \(points\[0\]\) type: a coil point must have type bool/,
    },
    {
      what: 'an unknown word order',
      points: [{ name: 'voltage', table: 'holding', address: 0, type: 'float32', wordOrder: 'BACD' }],
      expected: /point "voltage" \(points\[0\]\) wordOrder:/,
    },
    {
      what: 'an upper-case field name',
      points: [{ name: 'Temperature', table: 'holding', address: 0, type: 'int16' }],
      expected: /point "Temperature" \(points\[0\]\) name: field names are lowercase/,
    },
    {
      what: 'duplicate names',
      points: [
        { name: 'pm25', table: 'holding', address: 4, type: 'uint16' },
        { name: 'pm25', table: 'holding', address: 9, type: 'uint16' },
      ],
      expected: /point "pm25" \(points\[1\]\) name: duplicate point name \(also points\[0\]\)/,
    },
    {
      what: 'a boolean simulation on a number',
      points: [{ name: 'temperature', table: 'holding', address: 1, type: 'int16', simulation: { model: 'toggle', periodS: 10 } }],
      expected: /point "temperature" \(points\[0\]\) simulation: model toggle gives booleans/,
    },
    {
      what: 'an episode longer than its window',
      points: [{ name: 'pm25', table: 'holding', address: 4, type: 'uint16', simulation: { model: 'episodes', base: 30, peak: 200, everyHours: 24, durationHours: [10, 40] } }],
      expected: /point "pm25" \(points\[0\]\) simulation\.durationHours: an episode must fit in its window/,
    },
    {
      what: 'an unknown point setting',
      points: [{ name: 'temperature', table: 'holding', address: 1, type: 'int16', scaling: 0.1 }],
      expected: /point "temperature" \(points\[0\]\): Unrecognized key: "scaling"/,
    },
  ])('rejects $what', ({ points, expected }) => {
    expect(problemsOf({ ...minimal, points })).toMatch(expected);
  });

  it('reports every problem of a profile at once', () => {
    const message = problemsOf({
      ...minimal,
      points: [
        { name: 'a', table: 'holding', address: 0, type: 'string' },
        { name: 'b', table: 'holding', address: 1, type: 'int16', unit: 'furlongs' },
        { name: 'b', table: 'holding', address: 2, type: 'int16', scale: 0 },
      ],
    });
    expect(message).toMatch(/^demo\.yaml: /);
    expect(message).toMatch(/point "a" \(points\[0\]\) length: a string needs length/);
    expect(message).toMatch(/point "b" \(points\[1\]\) unit: unknown unit "furlongs"; known units:/);
    expect(message).toMatch(/point "b" \(points\[2\]\) scale: scale must be a finite number other than 0/);
  });

  it('accepts bit points sharing a register, hex strings in any case, and every new type', () => {
    const profile = parseProfile({
      ...minimal,
      points: [
        { name: 'alarm_low', table: 'holding', address: '0X0010', type: 'bool', bit: 0 },
        { name: 'alarm_high', table: 'holding', address: '0x0010', type: 'bool', bit: 1 },
        { name: 'fault', table: 'holding', address: 16, type: 'bool', bit: 15 },
        { name: 'total', table: 'holding', address: '0x0011', type: 'uint64', length: 4 },
        { name: 'power', table: 'holding', address: 0x15, type: 'float64', wordOrder: 'DCBA' },
        { name: 'serial', table: 'holding', address: 0x19, type: 'string', length: 8, simulation: { model: 'constant', value: 'TJ-0001' } },
        { name: 'setpoint', table: 'holding', address: 0x21, type: 'int32', access: 'rw', unit: '%LEL', deadband: 0.5, alarm: { high: 25, highHigh: 50 } },
      ],
    });
    expect(profile.points.map((p) => [p.name, p.address, p.access])).toEqual([
      ['alarm_low', 16, 'r'],
      ['alarm_high', 16, 'r'],
      ['fault', 16, 'r'],
      ['total', 17, 'r'],
      ['power', 21, 'r'],
      ['serial', 25, 'r'],
      ['setpoint', 33, 'rw'],
    ]);
  });

  it('registerCount: registers or bits on the wire, for every type', () => {
    const widths = (['int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'float32', 'float64'] as const).map((type) => registerCount({ type }));
    expect(widths).toEqual([1, 1, 2, 2, 4, 4, 2, 4]);
    expect(registerCount({ type: 'string', length: 10 })).toBe(10);
    expect(registerCount({ type: 'bool' })).toBe(1);
    expect(() => registerCount({ type: 'string' })).toThrow(/length/);
  });

  it('accepts the same address in different tables', () => {
    const profile = parseProfile({
      ...minimal,
      points: [
        { name: 'a', table: 'holding', address: 0, type: 'uint16' },
        { name: 'b', table: 'input', address: 0, type: 'uint16' },
        { name: 'c', table: 'coil', address: 0, type: 'bool' },
        { name: 'd', table: 'discrete', address: 0, type: 'bool' },
      ],
    });
    expect(profile.points).toHaveLength(4);
  });
});

describe('loadProfile and loadProfileLibrary on files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sb-profiles-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('names the file in YAML errors', async () => {
    const file = path.join(dir, 'broken.yaml');
    await writeFile(file, 'name: broken\npoints: [\n');
    await expect(loadProfile(file)).rejects.toThrow(new RegExp(`${file.replace(/[.]/g, '\\.')}: not valid YAML`));
  });

  it('requires the file to be named after the profile', async () => {
    const file = path.join(dir, 'other.yaml');
    await writeFile(file, 'name: demo\nmanufacturer: t\nmodel: t\nmeasurement: air\nsource: t\npoints:\n  - { name: pm25, table: holding, address: 0x0004, type: uint16 }\n');
    await expect(loadProfile(file)).rejects.toThrow(/other\.yaml: name: profile "demo" must live in a file named demo\.yaml/);
  });

  it('loads a directory keyed by name', async () => {
    const libraryDir = await mkdtemp(path.join(dir, 'lib-'));
    await writeFile(path.join(libraryDir, 'demo.yaml'), 'name: demo\nmanufacturer: t\nmodel: t\nmeasurement: air\nsource: t\npoints:\n  - { name: pm25, table: holding, address: 0x0004, type: uint16 }\n');
    await writeFile(path.join(libraryDir, 'notes.txt'), 'not a profile');
    const library = await loadProfileLibrary(libraryDir);
    expect([...library.keys()]).toEqual(['demo']);
    expect(library.get('demo')!.points[0]!.address).toBe(4);
  });
});
