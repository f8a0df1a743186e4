// Device profile loading: the shipped library, and errors that name file, point and problem.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultProfilesDir, findPackageRoot, loadProfile, loadProfileLibrary, parseProfile, ProfileError } from './profile.js';

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
    expect(profile.points[0]).toMatchObject({ wordOrder: 'ABCD', offset: 0 });
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
      what: 'bool in a register table',
      points: [{ name: 'alarm', table: 'holding', address: 3, type: 'bool' }],
      expected: /point "alarm" \(points\[0\]\) type: type bool belongs in the coil or discrete table/,
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
