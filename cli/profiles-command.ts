// `shaobing profiles …`: check device-profile files (validate) and print their JSON Schema
// (json-schema). Validation is the loader's own (gateway/profile.ts), so what passes here is
// exactly what a gateway accepts at start.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { defaultProfilesDir, loadProfile, ProfileError, type DeviceProfile } from '../gateway/profile.js';
import { profileJsonSchemaText } from '../gateway/profile-json-schema.js';

export interface FileVerdict {
  file: string;
  profile?: DeviceProfile;
  problems: string[];
}

const isProfileFile = (name: string) => name.endsWith('.yaml') || name.endsWith('.yml');

/** The files to check: each argument, a directory standing for its *.yaml/*.yml; none: the library. */
export async function profileFiles(args: readonly string[]): Promise<string[]> {
  const targets = args.length ? args : [defaultProfilesDir()];
  const files: string[] = [];
  for (const target of targets) {
    const isDir = await stat(target).then((s) => s.isDirectory(), () => false);
    if (!isDir) files.push(target);
    else files.push(...(await readdir(target)).filter(isProfileFile).sort().map((name) => path.join(target, name)));
  }
  return files;
}

/** Loads each file as a gateway would; a profile name used by two files is a problem of the second. */
export async function validateProfileFiles(files: readonly string[]): Promise<FileVerdict[]> {
  const verdicts: FileVerdict[] = [];
  const owners = new Map<string, string>();
  for (const file of files) {
    try {
      const profile = await loadProfile(file);
      const owner = owners.get(profile.name);
      if (owner) {
        verdicts.push({ file, profile, problems: [`name: profile "${profile.name}" is already defined in ${owner}`] });
        continue;
      }
      owners.set(profile.name, file);
      verdicts.push({ file, profile, problems: [] });
    } catch (err) {
      if (!(err instanceof ProfileError)) throw err;
      verdicts.push({ file, problems: err.problems });
    }
  }
  return verdicts;
}

/** Readable report: one line per good file, the problems of a bad one indented under it. */
export function formatVerdicts(verdicts: readonly FileVerdict[], cwd = process.cwd()): string {
  const lines: string[] = [];
  for (const { file, profile, problems } of verdicts) {
    const shown = path.relative(cwd, file) || file;
    if (problems.length === 0 && profile) {
      const points = `${profile.points.length} point${profile.points.length === 1 ? '' : 's'}`;
      lines.push(`OK       ${shown}  (${profile.name}: ${points}, ${profile.measurement}, evidence ${profile.evidence})`);
    } else {
      lines.push(`PROBLEM  ${shown}  (${problems.length} problem${problems.length === 1 ? '' : 's'})`);
      for (const problem of problems) lines.push(`           - ${problem}`);
    }
  }
  const bad = verdicts.filter((v) => v.problems.length > 0).length;
  lines.push(bad === 0 ? `${verdicts.length} profile file(s) checked, all OK` : `${verdicts.length} profile file(s) checked, ${bad} with problems`);
  return lines.join('\n');
}

/** `shaobing profiles validate [files...]`: prints the report; the exit code is 1 if anything is wrong. */
export async function runProfilesValidate(args: readonly string[]): Promise<number> {
  const files = await profileFiles(args);
  if (files.length === 0) {
    console.error(`no profile files (*.yaml, *.yml) in ${args.join(', ') || defaultProfilesDir()}`);
    return 1;
  }
  const verdicts = await validateProfileFiles(files);
  console.log(formatVerdicts(verdicts));
  return verdicts.some((v) => v.problems.length > 0) ? 1 : 0;
}

/** `shaobing profiles json-schema`: the editors' schema, as committed in device-profiles/. */
export function runProfilesJsonSchema(): void {
  process.stdout.write(profileJsonSchemaText());
}
