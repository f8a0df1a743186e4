// What the benchmark ran on: CPU model, cores, memory, OS, Node and InfluxDB versions.
// Parsing /proc/cpuinfo is pure; describeMachine reads the system.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { promisify } from 'node:util';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  influxdb: string;
  /** 1-minute load average when the run started: other work on the machine skews the figures. */
  loadAverage: number;
}

export function parseCpuModel(cpuinfo: string): string | undefined {
  const line = cpuinfo.split('\n').find((l) => /^model name\s*:/.test(l));
  return line?.slice(line.indexOf(':') + 1).trim() || undefined;
}

async function influxdVersion(binary: string): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)(binary, ['version'], { timeout: 10_000 });
    return stdout.trim();
  } catch (err) {
    return `unknown (${(err as Error).message})`;
  }
}

export async function describeMachine(influxdBinary: string): Promise<MachineInfo> {
  let cpuModel: string | undefined;
  try {
    cpuModel = parseCpuModel(fs.readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    // not Linux
  }
  return {
    cpuModel: cpuModel ?? os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: os.totalmem() / 2 ** 30,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    influxdb: await influxdVersion(influxdBinary),
    loadAverage: os.loadavg()[0] ?? NaN,
  };
}

/** Installed versions of the packages whose speed is measured (read from node_modules). */
export async function packageVersions(repoRoot: string, names: readonly string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of names) {
    try {
      const manifest = JSON.parse(await fs.promises.readFile(`${repoRoot}/node_modules/${name}/package.json`, 'utf8')) as { version?: string };
      out[name] = manifest.version ?? '?';
    } catch {
      out[name] = '?';
    }
  }
  return out;
}
