// Loading device profiles (YAML, format in profile-schema.ts) from disk: one file, or the
// whole library directory keyed by profile name. Errors name the file, the point and the problem.
import { readFile, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { deviceProfileSchema, type DeviceProfile } from './profile-schema.js';

export * from './profile-schema.js';

export class ProfileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: ${problems.join('; ')}`);
    this.name = 'ProfileError';
  }
}

/** `points.1.address` becomes `point "temperature" (points[1]) address` so people find the line. */
function describeIssuePath(raw: unknown, issuePath: PropertyKey[]): string {
  if (issuePath[0] === 'points' && typeof issuePath[1] === 'number') {
    const points = (raw as { points?: unknown[] } | null)?.points;
    const candidate = Array.isArray(points) ? (points[issuePath[1]] as { name?: unknown } | undefined)?.name : undefined;
    const label = typeof candidate === 'string' ? `point "${candidate}" (points[${issuePath[1]}])` : `points[${issuePath[1]}]`;
    const rest = issuePath.slice(2).map(String).join('.');
    return rest ? `${label} ${rest}` : label;
  }
  return issuePath.length ? issuePath.map(String).join('.') : '(profile)';
}

function describeProfileIssues(raw: unknown, error: z.ZodError): string[] {
  return error.issues.map((issue) => `${describeIssuePath(raw, issue.path)}: ${issue.message}`);
}

/** Validates already-parsed profile data; `file` only labels errors. */
export function parseProfile(raw: unknown, file = '(inline profile)'): DeviceProfile {
  const result = deviceProfileSchema.safeParse(raw);
  if (!result.success) throw new ProfileError(file, describeProfileIssues(raw, result.error));
  return result.data;
}

export async function loadProfile(file: string): Promise<DeviceProfile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ProfileError(file, [`cannot read: ${(err as Error).message}`]);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ProfileError(file, [`not valid YAML: ${(err as Error).message}`]);
  }
  const profile = parseProfile(raw, file);
  const expectedFile = `${profile.name}.yaml`;
  const base = path.basename(file);
  if (base !== expectedFile && base !== `${profile.name}.yml`) {
    throw new ProfileError(file, [`name: profile "${profile.name}" must live in a file named ${expectedFile}`]);
  }
  return profile;
}

/** Loads every `*.yaml`/`*.yml` in `dir`, keyed by profile name. Fails on the first bad file. */
export async function loadProfileLibrary(dir: string): Promise<Map<string, DeviceProfile>> {
  const entries = (await readdir(dir)).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort();
  const library = new Map<string, DeviceProfile>();
  for (const entry of entries) {
    const profile = await loadProfile(path.join(dir, entry));
    if (library.has(profile.name)) throw new ProfileError(path.join(dir, entry), [`name: profile "${profile.name}" is defined twice`]);
    library.set(profile.name, profile);
  }
  return library;
}

/**
 * The package root: the nearest directory above `fromDir` holding a package.json. Works from
 * the TypeScript sources (gateway/) and from the build output (dist/gateway/) alike.
 */
export function findPackageRoot(fromDir = path.dirname(fileURLToPath(import.meta.url))): string {
  let dir = fromDir;
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json found above ${fromDir}`);
    dir = parent;
  }
}

/** The profile library shipped with the package: `<package root>/device-profiles`. */
export function defaultProfilesDir(): string {
  return path.join(findPackageRoot(), 'device-profiles');
}
