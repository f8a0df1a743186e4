// `shaobing profiles validate`: the shipped library passes; broken files are reported with the
// file, the point and the problem; directories expand to their profiles.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultProfilesDir } from '../gateway/profile.js';
import { formatVerdicts, profileFiles, validateProfileFiles } from './profiles-command.js';

const good = (name: string) => `name: ${name}\nmanufacturer: t\nmodel: t\nmeasurement: air\nsource: t\npoints:\n  - { name: pm25, table: holding, address: 0x0004, type: uint16, unit: "µg/m³" }\n`;
const bad = [
  'name: bad',
  'manufacturer: t',
  'model: t',
  'measurement: gas',
  'source: t',
  'points:',
  '  - { name: status, table: holding, address: 0x10, type: uint16 }',
  '  - { name: alarm, table: holding, address: 0x10, type: bool, bit: 3 }',
  '  - { name: gas, table: holding, address: 0x11, type: uint16, unit: LEL }',
  '',
].join('\n');

describe('profiles validate', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sb-validate-'));
    await writeFile(path.join(dir, 'good.yaml'), good('good'));
    await writeFile(path.join(dir, 'bad.yaml'), bad);
    await writeFile(path.join(dir, 'good.yml'), good('good')); // same profile name, the other extension
    await writeFile(path.join(dir, 'notes.txt'), 'not a profile');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('passes the whole shipped library (no arguments)', async () => {
    const verdicts = await validateProfileFiles(await profileFiles([]));
    expect(verdicts.length).toBeGreaterThanOrEqual(12);
    expect(verdicts.filter((v) => v.problems.length)).toEqual([]);
    expect(formatVerdicts(verdicts, defaultProfilesDir())).toMatch(/^OK {7}chint-ddsu666\.yaml {2}\(chint-ddsu666: 8 points, energy, evidence documented\)$/m);
  });

  it('names the file, the point and the problem; a name taken by an earlier file is a problem', async () => {
    const verdicts = await validateProfileFiles(await profileFiles([dir]));
    expect(verdicts.map((v) => [path.basename(v.file), v.problems.length])).toEqual([
      ['bad.yaml', 1],
      ['good.yaml', 0],
      ['good.yml', 1],
    ]);
    const text = formatVerdicts(verdicts, dir);
    expect(text).toContain('PROBLEM  bad.yaml  (1 problem)');
    expect(text).toMatch(/- point "gas" \(points\[2\]\) unit: unknown unit "LEL" \(did you mean "%LEL"\?\); known units: °C/);
    expect(text).toMatch(/PROBLEM {2}good\.yml {2}\(1 problem\)\n {11}- name: profile "good" is already defined in .*good\.yaml/);
    expect(text.trimEnd().split('\n').at(-1)).toBe('3 profile file(s) checked, 2 with problems');
  });

  it('once the unit is fixed, reports the bit overlapping a numeric point', async () => {
    const file = path.join(dir, 'bad.yaml');
    await writeFile(file, bad.replace('unit: LEL', 'unit: "%LEL"'));
    const [verdict] = await validateProfileFiles([file]);
    expect(verdict!.problems).toEqual([
      'point "alarm" (points[1]) address: bit 3 of holding 0x0010 overlaps point "status" (holding 0x0010, uint16): a bit point may share its register only with other bit points',
    ]);
  });

  it('reports a missing file instead of throwing', async () => {
    const [verdict] = await validateProfileFiles([path.join(dir, 'missing.yaml')]);
    expect(verdict!.problems[0]).toMatch(/^cannot read:/);
  });
});
