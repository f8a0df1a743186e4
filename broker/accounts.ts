// Broker accounts: who may connect (gateways bound to one site/gateway id, backend
// services with a role), the accounts file that lists them (YAML or JSON, validated
// with zod) and the in-memory directory the broker looks them up in.
import { readFile } from 'node:fs/promises';
import YAML from 'yaml';
import { z } from 'zod';
import { idSchema } from '../protocol/index.js';
import { isPasswordHash } from './passwords.js';

export { hashPassword, verifyPassword, isPasswordHash, DEFAULT_SCRYPT_PARAMS, type ScryptParams } from './passwords.js';

export type ServiceRole = 'ingest' | 'api';
export type AccountRole = 'gateway' | ServiceRole;

/** A gateway may only speak under `sb/v1/gw/{site}/{gateway}/…`. */
export interface GatewayAccount {
  role: 'gateway';
  username: string;
  passwordHash: string;
  site: string;
  gateway: string;
}

export interface ServiceAccount {
  role: ServiceRole;
  username: string;
  passwordHash: string;
}

export type Account = GatewayAccount | ServiceAccount;

/**
 * Where the broker looks accounts up. The in-memory AccountStore is one; a
 * provisioning registry (gateways added without a restart) can be another, which
 * is why a lookup may be asynchronous.
 */
export interface AccountDirectory {
  find(username: string): Account | undefined | Promise<Account | undefined>;
}

// Usernames appear in logs and, with ':' as separator, in broker-side client ids.
const USERNAME_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

const usernameSchema = z
  .string()
  .regex(USERNAME_PATTERN, 'must be letters, digits, ".", "_" or "-", 1–128 characters');

const passwordHashSchema = z
  .string()
  .refine(isPasswordHash, 'must be a scrypt hash "scrypt$N$r$p$salt$hash" (make one with hashPassword)');

// A plaintext `password` key is the likeliest mistake in a hand-written file: name it.
const plaintextPasswordSchema = z
  .never({ error: 'plaintext passwords are refused: store passwordHash instead (see hashPassword)' })
  .optional();

const gatewayEntrySchema = z.strictObject({
  username: usernameSchema,
  passwordHash: passwordHashSchema,
  password: plaintextPasswordSchema,
  site: idSchema,
  gateway: idSchema,
});

const serviceEntrySchema = z.strictObject({
  username: usernameSchema,
  passwordHash: passwordHashSchema,
  password: plaintextPasswordSchema,
  role: z.enum(['ingest', 'api'], { error: 'must be "ingest" or "api"' }),
});

const accountsFileSchema = z.strictObject({
  gateways: z.array(gatewayEntrySchema, { error: 'must be a list' }).default([]),
  services: z.array(serviceEntrySchema, { error: 'must be a list' }).default([]),
});

export class AccountsFileError extends Error {
  constructor(readonly source: string, readonly problems: string[]) {
    super(problems.length === 1 ? `${source}: ${problems[0]}` : `${source}:\n  ${problems.join('\n  ')}`);
    this.name = 'AccountsFileError';
  }
}

/** `gateways[2] (username "gw-3")`: the entry as a person finds it in the file. */
function describeEntry(raw: unknown, list: PropertyKey, index: PropertyKey): string {
  const entries = (raw as Record<string, unknown> | null)?.[String(list)];
  const entry = Array.isArray(entries) ? (entries[Number(index)] as Record<string, unknown> | undefined) : undefined;
  const username = typeof entry?.username === 'string' ? ` (username "${entry.username}")` : '';
  return `${String(list)}[${String(index)}]${username}`;
}

function describeIssue(raw: unknown, issue: z.core.$ZodIssue): string {
  const [list, index, ...field] = issue.path;
  if (list === undefined) return issue.message;
  if (index === undefined) return `${String(list)}: ${issue.message}`;
  const where = describeEntry(raw, list, index);
  return field.length > 0 ? `${where} field ${field.map(String).join('.')}: ${issue.message}` : `${where}: ${issue.message}`;
}

/** Parses the text of an accounts file (YAML, or JSON which YAML reads too). */
export function parseAccounts(text: string, source = 'accounts'): Account[] {
  let raw: unknown;
  try {
    raw = YAML.parse(text) ?? {};
  } catch (err) {
    throw new AccountsFileError(source, [`not valid YAML/JSON: ${(err as Error).message}`]);
  }
  const result = accountsFileSchema.safeParse(raw, { error: (issue) => (issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : undefined) });
  if (!result.success) throw new AccountsFileError(source, result.error.issues.map((issue) => describeIssue(raw, issue)));

  const problems: string[] = [];
  const firstSeen = new Map<string, string>();
  for (const list of ['gateways', 'services'] as const) {
    result.data[list].forEach((entry, i) => {
      const place = describeEntry(raw, list, i);
      const earlier = firstSeen.get(entry.username);
      if (earlier !== undefined) problems.push(`${place} field username: duplicates ${earlier}`);
      else firstSeen.set(entry.username, place);
    });
  }
  if (problems.length > 0) throw new AccountsFileError(source, problems);
  return [
    ...result.data.gateways.map(({ username, passwordHash, site, gateway }): Account => ({ role: 'gateway', username, passwordHash, site, gateway })),
    ...result.data.services.map(({ username, passwordHash, role }): Account => ({ role, username, passwordHash })),
  ];
}

export async function loadAccounts(file: string): Promise<Account[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new AccountsFileError(file, [`cannot read: ${(err as Error).message}`]);
  }
  return parseAccounts(text, file);
}

/** Renders accounts in the file format parseAccounts reads (for provisioning tools and tests). */
export function formatAccounts(accounts: readonly Account[]): string {
  const gateways = accounts.flatMap((a) => (a.role === 'gateway' ? [{ username: a.username, passwordHash: a.passwordHash, site: a.site, gateway: a.gateway }] : []));
  const services = accounts.flatMap((a) => (a.role !== 'gateway' ? [{ username: a.username, passwordHash: a.passwordHash, role: a.role }] : []));
  return YAML.stringify({ gateways, services });
}

/** What a replace changed, so the caller can disconnect sessions of removed or changed accounts. */
export interface AccountChanges {
  added: string[];
  removed: string[];
  changed: string[];
}

function sameAccount(a: Account, b: Account): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The accounts held in memory; replaced as a whole when the file is reloaded. */
export class AccountStore implements AccountDirectory {
  private byUsername = new Map<string, Account>();

  constructor(accounts: readonly Account[] = []) {
    this.replace(accounts);
  }

  static async fromFile(file: string): Promise<AccountStore> {
    return new AccountStore(await loadAccounts(file));
  }

  get size(): number {
    return this.byUsername.size;
  }

  find(username: string): Account | undefined {
    return this.byUsername.get(username);
  }

  /** Swaps in a new set atomically (lookups never see half of it). */
  replace(accounts: readonly Account[]): AccountChanges {
    const next = new Map<string, Account>();
    for (const account of accounts) {
      if (next.has(account.username)) throw new Error(`duplicate account username "${account.username}"`);
      next.set(account.username, account);
    }
    const changes: AccountChanges = { added: [], removed: [], changed: [] };
    for (const [username, account] of next) {
      const before = this.byUsername.get(username);
      if (before === undefined) changes.added.push(username);
      else if (!sameAccount(before, account)) changes.changed.push(username);
    }
    for (const username of this.byUsername.keys()) if (!next.has(username)) changes.removed.push(username);
    this.byUsername = next;
    return changes;
  }

  /** Re-reads the file; on any error the current accounts stay in place and the error is thrown. */
  async reload(file: string): Promise<AccountChanges> {
    return this.replace(await loadAccounts(file));
  }
}
