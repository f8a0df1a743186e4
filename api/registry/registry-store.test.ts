// The registry on disk: gateways with hashed credentials and a state, device lists that become
// versioned remote configs, camera passwords sealed under the key file; and the broker's
// read-only view of it merged with the accounts file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccountStore, type Account } from '../../broker/accounts.js';
import { mergeAccounts, RegistryAccountReader, startAccountSync } from '../../broker/registry-accounts.js';
import { silentLogger } from '../../lib/logger.js';
import { deviceConfigSchema } from '../../protocol/index.js';
import { RegistryError, RegistryStore } from './registry-store.js';
import { KeyFileError, loadOrCreateKey, SecretBox } from './secret-box.js';

const HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
const device = (id: string, port = 5020) => deviceConfigSchema.parse({ id, profile: 'th-transmitter', transport: { kind: 'tcp', host: '127.0.0.1', port }, unit: 1 });

let dir: string;
let store: RegistryStore;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-registry-'));
  store = new RegistryStore(path.join(dir, 'registry.db'), SecretBox.fromKeyFile(path.join(dir, 'registry.key')));
});
afterEach(() => {
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('secret box', () => {
  it('creates the key file 0600, reuses it, and refuses one others can read', () => {
    const file = path.join(dir, 'registry.key');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(loadOrCreateKey(file).equals(loadOrCreateKey(file))).toBe(true);
    fs.chmodSync(file, 0o644);
    expect(() => loadOrCreateKey(file)).toThrow(KeyFileError);
  });

  it('binds a secret to its record and to the key', () => {
    const box = new SecretBox(Buffer.alloc(32, 1));
    const sealed = box.encrypt('cam-pass', 'camera-password:a/b/c');
    expect(box.decrypt(sealed, 'camera-password:a/b/c')).toBe('cam-pass');
    expect(() => box.decrypt(sealed, 'camera-password:a/b/other')).toThrow();
    expect(() => new SecretBox(Buffer.alloc(32, 2)).decrypt(sealed, 'camera-password:a/b/c')).toThrow();
  });
});

describe('registry store', () => {
  it('creates gateways under existing sites, once per id, and revokes them', () => {
    expect(() => store.createGateway({ site: 'fuyuan', gateway: 'gw-01', passwordHash: HASH })).toThrow(/no site "fuyuan"/);
    store.createSite('fuyuan', 'Fuyuan town');
    expect(store.createGateway({ site: 'fuyuan', gateway: 'gw-01', passwordHash: HASH })).toMatchObject({ username: 'fuyuan.gw-01', state: 'active', configVersion: 0 });
    expect(() => store.createGateway({ site: 'fuyuan', gateway: 'gw-01', passwordHash: HASH })).toThrow(RegistryError);
    expect(store.revokeGateway('fuyuan', 'gw-01')).toMatchObject({ state: 'revoked', revokedAt: expect.any(String) });
    expect(() => store.changeDevices('fuyuan', 'gw-01', () => [])).toThrow(/revoked/);
  });

  it('turns each device change into the next config version, and keeps device and camera ids apart', () => {
    store.createSite('fuyuan');
    store.createGateway({ site: 'fuyuan', gateway: 'gw-01', passwordHash: HASH });
    expect(store.changeDevices('fuyuan', 'gw-01', (list) => [...list, device('th-1')])).toMatchObject({ v: 1, version: 1, devices: [{ id: 'th-1', pollIntervalMs: 5000 }] });
    expect(store.changeDevices('fuyuan', 'gw-01', (list) => [...list, device('th-2')]).version).toBe(2);
    expect(store.currentConfig('fuyuan', 'gw-01')?.devices.map((d) => d.id)).toEqual(['th-1', 'th-2']);
    expect(() => store.putCamera('fuyuan', 'gw-01', { id: 'th-1', xaddr: 'http://10.0.0.5/onvif/device_service', username: 'u', password: 'p' })).toThrow(/already a device/);
  });

  it('stores camera passwords sealed: lists say "set", the file holds no plain password', () => {
    store.createSite('fuyuan');
    store.createGateway({ site: 'fuyuan', gateway: 'gw-01', passwordHash: HASH });
    const password = 'Plain-Camera-Password-77';
    store.putCamera('fuyuan', 'gw-01', { id: 'cam-1', xaddr: 'http://10.0.0.5/onvif/device_service', username: 'onvif', password });
    expect(store.listCameras('fuyuan', 'gw-01')).toEqual([{ id: 'cam-1', xaddr: 'http://10.0.0.5/onvif/device_service', username: 'onvif', password: 'set' }]);
    // Without a password an update keeps the stored one.
    store.putCamera('fuyuan', 'gw-01', { id: 'cam-1', xaddr: 'http://10.0.0.6/onvif/device_service', username: 'onvif' });
    expect(store.cameraWithPassword('fuyuan', 'gw-01', 'cam-1')).toMatchObject({ xaddr: 'http://10.0.0.6/onvif/device_service', password });
    const files = fs.readdirSync(dir).filter((f) => f.startsWith('registry.db'));
    for (const file of files) expect(fs.readFileSync(path.join(dir, file)).includes(password)).toBe(false);
    expect(() => store.putCamera('fuyuan', 'gw-01', { id: 'cam-2', xaddr: 'http://10.0.0.7/onvif/device_service', username: 'onvif' })).toThrow(/password is required/);
  });
});

describe('cameras in the remote config', () => {
  const camera = { id: 'cam-1', xaddr: 'http://10.0.0.5/onvif/device_service', username: 'onvif', password: 'Cam-Secret-9', linkedDevices: ['th-1'] };
  beforeEach(() => {
    store.createSite('fuyuan');
    store.createGateway({ site: 'fuyuan', gateway: 'gw-01', passwordHash: HASH });
  });

  it('leaves cameras out of configs until the registry manages them, so the gateway keeps its file\'s', () => {
    expect(store.changeDevices('fuyuan', 'gw-01', () => [device('th-1')]).cameras).toBeUndefined();
    expect(store.getGateway('fuyuan', 'gw-01').camerasManaged).toBe(false);
  });

  it('turns each camera change into the next version carrying every camera with its password', () => {
    store.changeDevices('fuyuan', 'gw-01', () => [device('th-1')]);
    const put = store.putCamera('fuyuan', 'gw-01', camera);
    expect(put.camera).toEqual({ ...camera, password: 'set' });
    expect(put.config).toMatchObject({ version: 2, devices: [{ id: 'th-1' }], cameras: [{ ...camera, snapshotIntervalMs: 300_000 }] });
    // Device changes now carry the cameras too, and a push again builds the same config.
    expect(store.changeDevices('fuyuan', 'gw-01', (list) => [...list, device('th-2', 5021)]).cameras?.map((c) => c.password)).toEqual(['Cam-Secret-9']);
    expect(store.currentConfig('fuyuan', 'gw-01')).toMatchObject({ version: 3, cameras: [{ id: 'cam-1', password: 'Cam-Secret-9' }] });
    // Removing the last camera pushes an empty list (not "back to the file's cameras").
    expect(store.deleteCamera('fuyuan', 'gw-01', 'cam-1')).toMatchObject({ version: 4, cameras: [] });
    expect(store.getGateway('fuyuan', 'gw-01')).toMatchObject({ configVersion: 4, camerasManaged: true });
    expect(() => store.deleteCamera('fuyuan', 'gw-01', 'cam-1')).toThrow(/no camera "cam-1"/);
  });

  it.each([
    { what: 'a camera linked to a device the gateway does not have', change: (s: RegistryStore) => s.putCamera('fuyuan', 'gw-01', { ...camera, id: 'cam-2', linkedDevices: ['level-9'] }), message: /camera "cam-2" is linked to device "level-9"/ },
    { what: 'removing a device a camera is linked to', change: (s: RegistryStore) => s.changeDevices('fuyuan', 'gw-01', () => []), message: /camera "cam-1" is linked to device "th-1"/ },
    { what: 'a duplicate device id', change: (s: RegistryStore) => s.changeDevices('fuyuan', 'gw-01', (list) => [...list, device('th-1')]), message: /duplicate device id "th-1"/ },
  ])('refuses $what (409) and changes nothing', ({ change, message }) => {
    store.changeDevices('fuyuan', 'gw-01', () => [device('th-1')]);
    store.putCamera('fuyuan', 'gw-01', camera);
    const before = store.currentConfig('fuyuan', 'gw-01');
    expect(() => change(store)).toThrow(message);
    try { change(store); } catch (err) { expect((err as RegistryError).statusCode).toBe(409); }
    expect(store.currentConfig('fuyuan', 'gw-01')).toEqual(before);
    expect(store.listCameras('fuyuan', 'gw-01').map((c) => c.id)).toEqual(['cam-1']);
  });

  it('adds the column to a registry made before cameras were pushed', () => {
    store.close();
    const file = path.join(dir, 'old.db');
    const old = new Database(file);
    old.exec(`CREATE TABLE gateways (site TEXT NOT NULL, gateway TEXT NOT NULL, username TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL,
      state TEXT NOT NULL, description TEXT, created_at INTEGER NOT NULL, revoked_at INTEGER, config_version INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (site, gateway))`);
    old.prepare(`INSERT INTO gateways VALUES ('fuyuan', 'gw-09', 'fuyuan.gw-09', ?, 'active', NULL, 1, NULL, 3)`).run(HASH);
    old.close();
    store = new RegistryStore(file, SecretBox.fromKeyFile(path.join(dir, 'registry.key')));
    expect(store.getGateway('fuyuan', 'gw-09')).toMatchObject({ configVersion: 3, camerasManaged: false });
  });
});

describe('broker view of the registry', () => {
  const fileGateway: Account = { role: 'gateway', username: 'fuyuan.gw-01', passwordHash: HASH, site: 'fuyuan', gateway: 'gw-01' };
  const service: Account = { role: 'ingest', username: 'ingest', passwordHash: HASH };

  it('lets the registry decide for the usernames it knows, revoked ones included', () => {
    expect(mergeAccounts([service, fileGateway], { active: [], revoked: new Set(['fuyuan.gw-01']) })).toEqual([service]);
    expect(mergeAccounts([service], undefined)).toEqual([service]);
  });

  it('reads active gateways, and ends the sessions of revoked ones on refresh', () => {
    const reader = new RegistryAccountReader(path.join(dir, 'missing.db'));
    expect(reader.read()).toBeUndefined();
    store.createSite('fuyuan');
    store.createGateway({ site: 'fuyuan', gateway: 'gw-02', passwordHash: HASH });
    const accounts = new AccountStore();
    const disconnected: string[] = [];
    const sync = startAccountSync({
      store: accounts, fileAccounts: [service], registryFile: store.file, logger: silentLogger(),
      disconnectUser: (username) => { disconnected.push(username); return 1; }, intervalMs: 60_000,
    });
    try {
      expect(accounts.find('fuyuan.gw-02')).toMatchObject({ role: 'gateway', site: 'fuyuan', gateway: 'gw-02' });
      store.revokeGateway('fuyuan', 'gw-02');
      expect(sync.refresh().removed).toEqual(['fuyuan.gw-02']);
      expect(disconnected).toEqual(['fuyuan.gw-02']);
      expect(accounts.find('fuyuan.gw-02')).toBeUndefined();
      expect(accounts.find('ingest')).toBeDefined();
    } finally {
      sync.close();
    }
  });
});
