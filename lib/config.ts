// Loading service configuration: a YAML/JSON file and/or SB_* environment
// variables, merged (environment wins) and validated with zod. A bad setting
// stops the process with a message naming the setting and where it came from.
import fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Maps an environment variable to a dotted path in the config object. */
export interface EnvBinding {
  env: string;
  path: string;
  type?: 'string' | 'number' | 'boolean';
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
}

function convert(binding: EnvBinding, raw: string): unknown {
  switch (binding.type ?? 'string') {
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw new ConfigError(`${binding.env}=${JSON.stringify(raw)}: expected a number (setting ${binding.path})`);
      return n;
    }
    case 'boolean':
      if (!/^(true|false|1|0)$/i.test(raw)) throw new ConfigError(`${binding.env}=${JSON.stringify(raw)}: expected true or false (setting ${binding.path})`);
      return /^(true|1)$/i.test(raw);
    default:
      return raw;
  }
}

export function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(`config file ${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`config file ${file} must hold a mapping of settings`);
  return parsed as Record<string, unknown>;
}

export function loadConfig<S extends z.ZodType>(
  schema: S,
  { file, env = process.env, bindings = [] }: { file?: string; env?: NodeJS.ProcessEnv; bindings?: EnvBinding[] },
): z.infer<S> {
  const raw: Record<string, unknown> = file ? readConfigFile(file) : {};
  for (const binding of bindings) {
    const value = env[binding.env];
    if (value !== undefined && value !== '') setPath(raw, binding.path, convert(binding, value));
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    const byPath = new Map(bindings.map((b) => [b.path, b.env]));
    const problems = result.error.issues.map((issue) => {
      const path = issue.path.join('.');
      const envName = byPath.get(path);
      return `setting ${path || '(root)'}${envName ? ` (${envName})` : ''}: ${issue.message}`;
    });
    throw new ConfigError(`invalid configuration${file ? ` in ${file}` : ''}:\n  ${problems.join('\n  ')}`);
  }
  return result.data;
}
