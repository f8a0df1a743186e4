// System tools that integration tests need (influxd, socat, ...): find them, and
// register suites that need them so a missing tool skips locally with a printed reason
// but fails under CI=true (ARCHITECTURE.md: CI must never skip silently).
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'vitest';

/** Debian packages that provide the tools we use, for the error messages. */
const PACKAGE_OF: Readonly<Record<string, string>> = { influxd: 'influxdb', socat: 'socat' };

/** Absolute path of an executable `name` on PATH (or `name` itself if it is a path), else undefined. */
export function findTool(name: string): string | undefined {
  const candidates = name.includes('/')
    ? [name]
    : (process.env.PATH ?? '').split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, name));
  for (const candidate of candidates) {
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here; try the next directory
    }
  }
  return undefined;
}

export function toolAvailable(name: string): boolean {
  return findTool(name) !== undefined;
}

export function missingToolMessage(name: string): string {
  const pkg = PACKAGE_OF[name] ?? name;
  return `system tool "${name}" not found on PATH (install it: apt-get install -y ${pkg})`;
}

/** Path of the tool, or an Error naming it and how to install it. */
export function requireTool(name: string): string {
  const found = findTool(name);
  if (!found) throw new Error(missingToolMessage(name));
  return found;
}

export function isCi(): boolean {
  return process.env.CI === 'true';
}

/**
 * describe() for a suite that needs system tools. All present: a normal describe.
 * Missing under CI=true: one failing test that names them. Missing otherwise: the
 * suite is skipped and the reason printed.
 */
export function describeWithTool(tools: string | string[], title: string, body: () => void): void {
  const missing = (Array.isArray(tools) ? tools : [tools]).filter((tool) => !toolAvailable(tool));
  describeUnless(missing.length === 0 ? undefined : { needs: missing.join(', '), reason: missing.map(missingToolMessage).join('; ') }, title, body);
}

/**
 * describe() for a suite that needs something of the machine (a tool, root for a tmpfs):
 * `missing` undefined runs it; otherwise CI=true gets one failing test naming what is missing
 * and why, and a local run skips the suite with the reason printed.
 */
export function describeUnless(missing: { needs: string; reason: string } | undefined, title: string, body: () => void): void {
  if (missing === undefined) {
    describe(title, body);
    return;
  }
  if (isCi()) {
    describe(title, () => {
      it(`needs ${missing.needs}`, () => {
        throw new Error(`${missing.reason}; CI=true requires every integration test to run`);
      });
    });
    return;
  }
  process.stderr.write(`[skipped] ${title}: ${missing.reason}\n`);
  describe.skipIf(true)(title, body);
}
