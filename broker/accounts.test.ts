// The accounts file (YAML/JSON): what it accepts, how its errors name the entry and
// field, and the in-memory store that is swapped on reload.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountStore, AccountsFileError, formatAccounts, hashPassword, loadAccounts, parseAccounts, type Account } from './accounts.js';

let hash: string;
let dir: string;

beforeAll(async () => {
  hash = await hashPassword('s3cret-gateway-password', { N: 1024, r: 8, p: 1 });
  dir = await mkdtemp(path.join(os.tmpdir(), 'sb-accounts-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function yamlFile(body: string): string {
  return body.replaceAll('HASH', hash);
}

describe('parseAccounts', () => {
  it('reads gateway and service accounts from YAML', () => {
    const accounts = parseAccounts(yamlFile(`
gateways:
  - username: gw-tj-east-1
    passwordHash: HASH
    site: tj-east
    gateway: gw-1
services:
  - { username: ingest, passwordHash: HASH, role: ingest }
  - { username: api, passwordHash: HASH, role: api }
`));
    expect(accounts).toEqual<Account[]>([
      { role: 'gateway', username: 'gw-tj-east-1', passwordHash: hash, site: 'tj-east', gateway: 'gw-1' },
      { role: 'ingest', username: 'ingest', passwordHash: hash },
      { role: 'api', username: 'api', passwordHash: hash },
    ]);
  });

  it('reads JSON, and an empty file as no accounts', () => {
    const json = JSON.stringify({ services: [{ username: 'api', passwordHash: hash, role: 'api' }] });
    expect(parseAccounts(json)).toEqual([{ role: 'api', username: 'api', passwordHash: hash }]);
    expect(parseAccounts('')).toEqual([]);
  });

  it('round-trips through formatAccounts', () => {
    const accounts: Account[] = [
      { role: 'gateway', username: 'gw-a', passwordHash: hash, site: 's-1', gateway: 'g-1' },
      { role: 'ingest', username: 'ingest', passwordHash: hash },
    ];
    expect(parseAccounts(formatAccounts(accounts))).toEqual(accounts);
  });

  const gw = (fields: string) => `gateways:\n  - username: gw-a\n    passwordHash: HASH\n    site: tj-east\n    gateway: gw-1\n  - ${fields}\n`;
  it.each([
    ['plaintext password', gw('{ username: gw-b, password: hunter2, site: tj-east, gateway: gw-2 }'), [
      'gateways[1] (username "gw-b") field passwordHash: is required',
      'gateways[1] (username "gw-b") field password: plaintext passwords are refused',
    ]],
    ['plaintext in passwordHash', gw('{ username: gw-b, passwordHash: hunter2, site: tj-east, gateway: gw-2 }'), ['gateways[1] (username "gw-b") field passwordHash: must be a scrypt hash']],
    ['bad site id', gw('{ username: gw-b, passwordHash: HASH, site: TJ East, gateway: gw-2 }'), ['gateways[1] (username "gw-b") field site: must be lowercase']],
    ['missing gateway', gw('{ username: gw-b, passwordHash: HASH, site: tj-east }'), ['gateways[1] (username "gw-b") field gateway: is required']],
    ['bad username', gw('{ username: "gw b", passwordHash: HASH, site: tj-east, gateway: gw-2 }'), ['gateways[1] (username "gw b") field username: must be letters']],
    ['unknown field', gw('{ username: gw-b, passwordHash: HASH, site: tj-east, gateway: gw-2, role: api }'), ['gateways[1] (username "gw-b")', 'role']],
    ['duplicate username', gw('{ username: gw-a, passwordHash: HASH, site: tj-east, gateway: gw-2 }'), ['gateways[1] (username "gw-a") field username: duplicates gateways[0] (username "gw-a")']],
    ['bad role', 'services:\n  - { username: x, passwordHash: HASH, role: admin }\n', ['services[0] (username "x") field role: must be "ingest" or "api"']],
    ['list expected', 'gateways: { username: x }\n', ['gateways: must be a list']],
    ['unknown top-level key', 'users: []\n', ['users']],
    ['not YAML', 'gateways: [\n', ['not valid YAML/JSON']],
  ])('names the problem: %s', (_name, text, fragments) => {
    let error: unknown;
    try {
      parseAccounts(yamlFile(text), 'accounts.yaml');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(AccountsFileError);
    const message = (error as Error).message;
    expect(message.startsWith('accounts.yaml:')).toBe(true);
    for (const fragment of fragments) expect(message).toContain(fragment);
    expect(message).not.toContain('hunter2');
  });
});

describe('loadAccounts', () => {
  it('names the file when it cannot be read', async () => {
    await expect(loadAccounts(path.join(dir, 'missing.yaml'))).rejects.toThrow(/missing\.yaml: cannot read/);
  });
});

describe('AccountStore', () => {
  const a: Account = { role: 'gateway', username: 'gw-a', passwordHash: 'h1', site: 's', gateway: 'a' };
  const b: Account = { role: 'gateway', username: 'gw-b', passwordHash: 'h1', site: 's', gateway: 'b' };
  const api: Account = { role: 'api', username: 'api', passwordHash: 'h1' };

  it('finds accounts by username and reports what a replace changed', () => {
    const store = new AccountStore([a, b]);
    expect(store.find('gw-a')).toEqual(a);
    expect(store.find('nobody')).toBeUndefined();
    const changes = store.replace([{ ...a, passwordHash: 'h2' }, api]);
    expect(changes).toEqual({ added: ['api'], removed: ['gw-b'], changed: ['gw-a'] });
    expect(store.find('gw-b')).toBeUndefined();
    expect(store.find('gw-a')?.passwordHash).toBe('h2');
    expect(store.size).toBe(2);
  });

  it('refuses duplicate usernames and keeps the old set', () => {
    const store = new AccountStore([a]);
    expect(() => store.replace([b, b])).toThrow(/duplicate/);
    expect(store.find('gw-a')).toEqual(a);
  });

  it('reloads from the file, keeping the current accounts when the new file is bad', async () => {
    const file = path.join(dir, 'accounts.yaml');
    await writeFile(file, yamlFile('services:\n  - { username: api, passwordHash: HASH, role: api }\n'));
    const store = await AccountStore.fromFile(file);
    expect(store.find('api')?.role).toBe('api');

    await writeFile(file, yamlFile('services:\n  - { username: api, passwordHash: HASH, role: api }\n  - { username: ingest, passwordHash: HASH, role: ingest }\n'));
    expect(await store.reload(file)).toEqual({ added: ['ingest'], removed: [], changed: [] });

    await writeFile(file, 'services:\n  - { username: api, password: plain, role: api }\n');
    await expect(store.reload(file)).rejects.toThrow(AccountsFileError);
    expect(store.find('ingest')?.role).toBe('ingest');
  });
});
