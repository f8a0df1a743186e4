// The last remote config the gateway applied, kept in its data directory so that after a
// reboot with no uplink it runs that config, not the file's devices. Written atomically
// (temp file, fsync, rename, fsync of the directory): a crash leaves the old or the new one.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { configSchema, describeIssues, type GatewayConfig } from '../protocol/index.js';

export const APPLIED_CONFIG_FILE = 'applied-config.json';

const savedSchema = z.object({ appliedAt: z.number().int(), config: configSchema });

export interface SavedConfig {
  appliedAt: number;
  config: GatewayConfig;
}

export type LoadedConfig = { ok: true; saved: SavedConfig | undefined } | { ok: false; reason: string };

export interface AppliedConfigStore {
  load(): LoadedConfig;
  save(saved: SavedConfig): void;
}

/** Keeps it in memory only: a gateway without a data directory forgets it at restart. */
export function memoryConfigStore(): AppliedConfigStore {
  let current: SavedConfig | undefined;
  return { load: () => ({ ok: true, saved: current }), save: (saved) => { current = saved; } };
}

export function fileConfigStore(dir: string): AppliedConfigStore {
  const file = path.join(dir, APPLIED_CONFIG_FILE);
  return {
    load() {
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, saved: undefined };
        return { ok: false, reason: `${file}: ${(err as Error).message}` };
      }
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch (err) {
        return { ok: false, reason: `${file}: not valid JSON: ${(err as Error).message}` };
      }
      const parsed = savedSchema.safeParse(raw);
      return parsed.success ? { ok: true, saved: parsed.data } : { ok: false, reason: `${file}: ${describeIssues(parsed.error)}` };
    },
    save(saved) {
      fs.mkdirSync(dir, { recursive: true });
      const temp = `${file}.${process.pid}.tmp`;
      // 0600: a config that carries cameras holds their passwords.
      const fd = fs.openSync(temp, 'w', 0o600);
      try {
        fs.writeSync(fd, `${JSON.stringify(saved, null, 2)}\n`);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(temp, file);
      const dirFd = fs.openSync(dir, 'r');
      try {
        fs.fsyncSync(dirFd);
      } finally {
        fs.closeSync(dirFd);
      }
    },
  };
}
