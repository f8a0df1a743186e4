// `shaobing profiles validate` as a child process (the built CLI): exit code 0 for the shipped
// library, 1 with the problems named when a file is wrong.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './harness/processes.js';

describe('shaobing profiles validate (child process)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sb-profiles-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 0 on the shipped library', async () => {
    const cli = runCli(['profiles', 'validate']);
    expect(await cli.exited).toBe(0);
    expect(cli.output()).toMatch(/profile file\(s\) checked, all OK/);
  });

  it('exits 1 and names the file, point and problem', async () => {
    const file = path.join(dir, 'demo.yaml');
    await writeFile(file, 'name: demo\nmanufacturer: t\nmodel: t\nmeasurement: air\nsource: t\npoints:\n  - { name: energy, table: input, address: 0, type: float32, length: 3 }\n');
    const cli = runCli(['profiles', 'validate', file]);
    expect(await cli.exited).toBe(1);
    expect(cli.output()).toContain('point "energy" (points[0]) length: a float32 occupies 2 register(s), not 3');
  });
});
