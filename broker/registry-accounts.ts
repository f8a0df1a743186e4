// Gateway accounts from the provisioning registry (the API's SQLite file, api/registry/), merged
// with the accounts file: the broker opens the registry read-only and polls it, so a gateway
// provisioned through the API connects without a broker restart, and a revoked one is
// disconnected on the next poll (≈ 1 s) and refused from then on.
import fs from 'node:fs';
import Database from 'better-sqlite3';
import type { Logger } from '../lib/logger.js';
import { isValidId } from '../protocol/index.js';
import { AccountStore, type Account, type AccountChanges, type GatewayAccount } from './accounts.js';
import { isPasswordHash } from './passwords.js';

export interface RegistryGateways {
  active: GatewayAccount[];
  /** Usernames the registry has revoked: refused even if the accounts file lists them. */
  revoked: Set<string>;
}

/** Reads the registry's `gateways` table; undefined while the file does not exist yet (API not started). */
export class RegistryAccountReader {
  #db: Database.Database | undefined;

  constructor(readonly file: string) {}

  read(): RegistryGateways | undefined {
    if (!this.#db) {
      if (!fs.existsSync(this.file)) return undefined;
      this.#db = new Database(this.file, { readonly: true, fileMustExist: true });
    }
    let rows: Array<{ username: string; password_hash: string; site: string; gateway: string; state: string }>;
    try {
      rows = this.#db.prepare('SELECT username, password_hash, site, gateway, state FROM gateways').all() as typeof rows;
    } catch (err) {
      // The API creates the table on its first start: until then there is nothing to read.
      if (/no such table/.test((err as Error).message)) return undefined;
      throw err;
    }
    const active: GatewayAccount[] = [];
    const revoked = new Set<string>();
    for (const row of rows) {
      if (row.state !== 'active') revoked.add(row.username);
      // A row the broker cannot trust is left out, never half-used.
      else if (isPasswordHash(row.password_hash) && isValidId(row.site) && isValidId(row.gateway)) {
        active.push({ role: 'gateway', username: row.username, passwordHash: row.password_hash, site: row.site, gateway: row.gateway });
      }
    }
    return { active, revoked };
  }

  close(): void {
    this.#db?.close();
    this.#db = undefined;
  }
}

/** File accounts plus the registry's: the registry decides for every username it knows. */
export function mergeAccounts(fileAccounts: readonly Account[], registry: RegistryGateways | undefined): Account[] {
  if (!registry) return [...fileAccounts];
  const decided = new Set([...registry.revoked, ...registry.active.map((a) => a.username)]);
  return [...fileAccounts.filter((a) => !decided.has(a.username)), ...registry.active];
}

export interface AccountSync {
  /** Re-reads now (after a SIGHUP reload of the file, say); returns what changed. */
  refresh(): AccountChanges;
  /** Replaces the file's accounts (the SIGHUP reload) and refreshes. */
  setFileAccounts(accounts: readonly Account[]): AccountChanges;
  close(): void;
}

/**
 * Keeps `store` equal to file accounts ∪ registry gateways, polling the registry every
 * `intervalMs`; sessions of removed or changed accounts are ended through `disconnectUser`.
 */
export function startAccountSync(options: {
  store: AccountStore;
  fileAccounts: readonly Account[];
  registryFile: string;
  disconnectUser: (username: string) => number;
  logger: Logger;
  intervalMs?: number;
}): AccountSync {
  const { store, registryFile, disconnectUser, logger, intervalMs = 1000 } = options;
  const reader = new RegistryAccountReader(registryFile);
  let fileAccounts = [...options.fileAccounts];
  let lastError: string | undefined;

  const apply = (registry: RegistryGateways | undefined): AccountChanges => {
    const changes = store.replace(mergeAccounts(fileAccounts, registry));
    const ended = [...changes.removed, ...changes.changed];
    // Sessions are bound at CONNECT: end those of removed (revoked) accounts and changed passwords.
    for (const username of ended) {
      const count = disconnectUser(username);
      if (count > 0) logger.warn({ username, sessions: count }, 'account removed or changed: sessions ended');
    }
    if (changes.added.length + ended.length > 0) logger.info({ changes }, 'accounts updated from the registry');
    return changes;
  };

  const refresh = (): AccountChanges => {
    try {
      const changes = apply(reader.read());
      lastError = undefined;
      return changes;
    } catch (err) {
      // Keep the accounts in force: a registry being written or briefly locked must not lock everyone out.
      const message = (err as Error).message;
      if (message !== lastError) logger.error({ err: message, registryFile }, 'registry unreadable; keeping the current accounts');
      lastError = message;
      reader.close();
      return { added: [], removed: [], changed: [] };
    }
  };

  refresh();
  const timer = setInterval(refresh, intervalMs);
  timer.unref();
  return {
    refresh,
    setFileAccounts: (accounts) => {
      fileAccounts = [...accounts];
      return refresh();
    },
    close: () => {
      clearInterval(timer);
      reader.close();
    },
  };
}
