// The provisioning registry: sites, gateways (with the scrypt hash of their broker password and
// their state, active or revoked), and each gateway's Modbus devices and ONVIF cameras, which
// together become its versioned remote config (devices and cameras alike bump the version). An
// embedded SQLite file owned by the API; the broker reads the `gateways` table read-only
// (broker/registry-accounts.ts), so its columns are a contract between the two.
// Camera passwords are sealed with AES-256-GCM (secret-box.ts) and never leave through a list;
// they are decrypted only into the config pushed to the gateway.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { configSchema, describeIssues, deviceConfigSchema, type CameraConfigInput, type DeviceConfig, type GatewayConfig, type GatewayConfigInput } from '../../protocol/index.js';
import type { SecretBox } from './secret-box.js';
import type { RegistryCamera, RegistryCameraInput } from './camera-schema.js';

export type GatewayState = 'active' | 'revoked';

export interface SiteRecord { id: string; name?: string; createdAt: string }

export interface GatewayRecord {
  site: string;
  gateway: string;
  /** Broker username (`{site}.{gateway}`). */
  username: string;
  state: GatewayState;
  description?: string;
  createdAt: string;
  revokedAt?: string;
  /** Version of the last remote config pushed (0: none yet). */
  configVersion: number;
  /**
   * Whether the registry owns the gateway's camera list (set by its first camera change). Until
   * then its configs carry no `cameras`, so the gateway keeps the cameras of its own file.
   */
  camerasManaged: boolean;
}

/** A camera as the API shows it: the password only as "set". */
export type CameraView = Omit<RegistryCamera, 'password'> & { password: 'set' };

/** A 404 or 409 with a message for the caller (the API's error handler passes 4xx through). */
export class RegistryError extends Error {
  constructor(readonly statusCode: 404 | 409, message: string) {
    super(message);
    this.name = statusCode === 404 ? 'Not Found' : 'Conflict';
  }
}

export function gatewayUsername(site: string, gateway: string): string {
  return `${site}.${gateway}`;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sites (
  id TEXT PRIMARY KEY,
  name TEXT,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS gateways (
  site TEXT NOT NULL REFERENCES sites(id),
  gateway TEXT NOT NULL,
  username TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('active', 'revoked')),
  description TEXT,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER,
  config_version INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (site, gateway)
);
CREATE TABLE IF NOT EXISTS devices (
  site TEXT NOT NULL,
  gateway TEXT NOT NULL,
  id TEXT NOT NULL,
  config TEXT NOT NULL,
  PRIMARY KEY (site, gateway, id),
  FOREIGN KEY (site, gateway) REFERENCES gateways(site, gateway)
);
CREATE TABLE IF NOT EXISTS cameras (
  site TEXT NOT NULL,
  gateway TEXT NOT NULL,
  id TEXT NOT NULL,
  settings TEXT NOT NULL,
  password_sealed TEXT NOT NULL,
  PRIMARY KEY (site, gateway, id),
  FOREIGN KEY (site, gateway) REFERENCES gateways(site, gateway)
);
`;

interface GatewayRow {
  site: string; gateway: string; username: string; state: GatewayState; description: string | null;
  created_at: number; revoked_at: number | null; config_version: number; cameras_managed: number;
}

function toGateway(row: GatewayRow): GatewayRecord {
  return {
    site: row.site, gateway: row.gateway, username: row.username, state: row.state,
    ...(row.description !== null ? { description: row.description } : {}),
    createdAt: new Date(row.created_at).toISOString(),
    ...(row.revoked_at !== null ? { revokedAt: new Date(row.revoked_at).toISOString() } : {}),
    configVersion: row.config_version,
    camerasManaged: row.cameras_managed === 1,
  };
}

const cameraContext = (site: string, gateway: string, camera: string) => `camera-password:${site}/${gateway}/${camera}`;

export class RegistryStore {
  readonly file: string;
  readonly #db: Database.Database;
  readonly #box: SecretBox;
  readonly #clock: () => number;

  constructor(file: string, box: SecretBox, clock: () => number = Date.now) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.file = file;
    this.#box = box;
    this.#clock = clock;
    this.#db = new Database(file);
    // WAL: the broker polls the gateways table from its own read-only connection while we write.
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('foreign_keys = ON');
    this.#db.exec(SCHEMA);
    // Registries created before cameras were pushed lack the column; the broker reads named columns only.
    const columns = (this.#db.prepare('PRAGMA table_info(gateways)').all() as Array<{ name: string }>).map((c) => c.name);
    if (!columns.includes('cameras_managed')) this.#db.exec('ALTER TABLE gateways ADD COLUMN cameras_managed INTEGER NOT NULL DEFAULT 0');
    // Hashes and sealed secrets only, but still nobody else's business.
    try { fs.chmodSync(file, 0o600); } catch { /* not ours to fix (e.g. another owner); the key guards the secrets */ }
  }

  close(): void {
    this.#db.close();
  }

  createSite(id: string, name?: string): SiteRecord {
    const now = this.#clock();
    const result = this.#db.prepare('INSERT INTO sites (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING').run(id, name ?? null, now);
    if (result.changes === 0) throw new RegistryError(409, `site "${id}" already exists`);
    return { id, ...(name !== undefined ? { name } : {}), createdAt: new Date(now).toISOString() };
  }

  listSites(): SiteRecord[] {
    const rows = this.#db.prepare('SELECT id, name, created_at FROM sites ORDER BY id').all() as Array<{ id: string; name: string | null; created_at: number }>;
    return rows.map((row) => ({ id: row.id, ...(row.name !== null ? { name: row.name } : {}), createdAt: new Date(row.created_at).toISOString() }));
  }

  #requireSite(site: string): void {
    if (!this.#db.prepare('SELECT 1 FROM sites WHERE id = ?').get(site)) {
      throw new RegistryError(404, `no site "${site}" in the registry: create it first (POST /v1/registry/sites)`);
    }
  }

  createGateway({ site, gateway, passwordHash, description }: { site: string; gateway: string; passwordHash: string; description?: string }): GatewayRecord {
    this.#requireSite(site);
    const username = gatewayUsername(site, gateway);
    const result = this.#db.prepare(`INSERT INTO gateways (site, gateway, username, password_hash, state, description, created_at)
      VALUES (?, ?, ?, ?, 'active', ?, ?) ON CONFLICT DO NOTHING`).run(site, gateway, username, passwordHash, description ?? null, this.#clock());
    if (result.changes === 0) {
      const existing = this.findGateway(site, gateway);
      throw new RegistryError(409, existing
        ? `gateway ${site}/${gateway} already exists (${existing.state}); a gateway id is never reused: choose another id`
        : `broker username "${username}" is taken`);
    }
    return this.getGateway(site, gateway);
  }

  findGateway(site: string, gateway: string): GatewayRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM gateways WHERE site = ? AND gateway = ?').get(site, gateway) as GatewayRow | undefined;
    return row ? toGateway(row) : undefined;
  }

  getGateway(site: string, gateway: string): GatewayRecord {
    const found = this.findGateway(site, gateway);
    if (!found) throw new RegistryError(404, `no gateway ${site}/${gateway} in the registry`);
    return found;
  }

  listGateways(site?: string): GatewayRecord[] {
    const rows = (site === undefined
      ? this.#db.prepare('SELECT * FROM gateways ORDER BY site, gateway').all()
      : this.#db.prepare('SELECT * FROM gateways WHERE site = ? ORDER BY gateway').all(site)) as GatewayRow[];
    return rows.map(toGateway);
  }

  /** Idempotent; the broker drops the gateway's sessions on its next poll of this table. */
  revokeGateway(site: string, gateway: string): GatewayRecord {
    this.getGateway(site, gateway);
    this.#db.prepare(`UPDATE gateways SET state = 'revoked', revoked_at = COALESCE(revoked_at, ?) WHERE site = ? AND gateway = ?`).run(this.#clock(), site, gateway);
    return this.getGateway(site, gateway);
  }

  #requireActive(site: string, gateway: string): GatewayRecord {
    const record = this.getGateway(site, gateway);
    if (record.state !== 'active') throw new RegistryError(409, `gateway ${site}/${gateway} is revoked: its devices and cameras can no longer be changed`);
    return record;
  }

  listDevices(site: string, gateway: string): DeviceConfig[] {
    this.getGateway(site, gateway);
    const rows = this.#db.prepare('SELECT config FROM devices WHERE site = ? AND gateway = ? ORDER BY rowid').all(site, gateway) as Array<{ config: string }>;
    return rows.map((row) => deviceConfigSchema.parse(JSON.parse(row.config)));
  }

  #cameraIds(site: string, gateway: string): Set<string> {
    return new Set((this.#db.prepare('SELECT id FROM cameras WHERE site = ? AND gateway = ?').all(site, gateway) as Array<{ id: string }>).map((r) => r.id));
  }

  /**
   * Changes the device list and returns the next remote config (version + 1), in one
   * transaction: two edits never hand out the same version.
   */
  changeDevices(site: string, gateway: string, change: (devices: DeviceConfig[]) => DeviceConfig[]): GatewayConfig {
    return this.#db.transaction(() => {
      const record = this.#requireActive(site, gateway);
      const next = change(this.listDevices(site, gateway));
      const cameras = this.#cameraIds(site, gateway);
      const clash = next.find((device) => cameras.has(device.id));
      if (clash) throw new RegistryError(409, `device id "${clash.id}" is already a camera of ${site}/${gateway}: one name must mean one thing`);
      const ids = new Set<string>();
      for (const device of next) {
        if (ids.has(device.id)) throw new RegistryError(409, `duplicate device id "${device.id}"`);
        ids.add(device.id);
      }
      this.#db.prepare('DELETE FROM devices WHERE site = ? AND gateway = ?').run(site, gateway);
      const insert = this.#db.prepare('INSERT INTO devices (site, gateway, id, config) VALUES (?, ?, ?, ?)');
      for (const device of next) insert.run(site, gateway, device.id, JSON.stringify(deviceConfigSchema.parse(device)));
      // Checked with the cameras too (a camera linked to a removed device refuses the change).
      return this.#nextConfig(site, gateway, record);
    })();
  }

  /**
   * Bumps the version and builds the config from the rows as they are now (inside the caller's
   * transaction): a config the gateway would refuse is refused here, rolling the change back.
   */
  #nextConfig(site: string, gateway: string, record: GatewayRecord): GatewayConfig {
    const config = this.#buildConfig(site, gateway, record.configVersion + 1);
    this.#db.prepare('UPDATE gateways SET config_version = ? WHERE site = ? AND gateway = ?').run(config.version, site, gateway);
    return config;
  }

  /** The config of `version` from the stored devices, and the cameras with their passwords if the registry owns them. */
  #buildConfig(site: string, gateway: string, version: number): GatewayConfig {
    const input: GatewayConfigInput = {
      v: 1, version, devices: this.listDevices(site, gateway),
      ...(this.#camerasManaged(site, gateway) ? { cameras: this.#camerasWithPasswords(site, gateway) } : {}),
    };
    const parsed = configSchema.safeParse(input);
    if (!parsed.success) throw new RegistryError(409, `the gateway would refuse this config: ${describeIssues(parsed.error)}`);
    return parsed.data;
  }

  #camerasManaged(site: string, gateway: string): boolean {
    const row = this.#db.prepare('SELECT cameras_managed FROM gateways WHERE site = ? AND gateway = ?').get(site, gateway) as { cameras_managed: number } | undefined;
    return row?.cameras_managed === 1;
  }

  #camerasWithPasswords(site: string, gateway: string): CameraConfigInput[] {
    const rows = this.#db.prepare('SELECT id, settings, password_sealed FROM cameras WHERE site = ? AND gateway = ? ORDER BY rowid').all(site, gateway) as
      Array<{ id: string; settings: string; password_sealed: string }>;
    return rows.map((row) => ({ ...(JSON.parse(row.settings) as Omit<RegistryCamera, 'password'>), password: this.#box.decrypt(row.password_sealed, cameraContext(site, gateway, row.id)) }));
  }

  /** The remote config as last pushed (to push it again), camera passwords included: for the gateway only. */
  currentConfig(site: string, gateway: string): GatewayConfig | undefined {
    const record = this.getGateway(site, gateway);
    if (record.configVersion === 0) return undefined;
    return this.#buildConfig(site, gateway, record.configVersion);
  }

  listCameras(site: string, gateway: string): CameraView[] {
    this.getGateway(site, gateway);
    const rows = this.#db.prepare('SELECT settings FROM cameras WHERE site = ? AND gateway = ? ORDER BY rowid').all(site, gateway) as Array<{ settings: string }>;
    return rows.map((row) => ({ ...(JSON.parse(row.settings) as Omit<RegistryCamera, 'password'>), password: 'set' as const }));
  }

  /** A camera with its password decrypted, for building what the gateway runs. */
  cameraWithPassword(site: string, gateway: string, camera: string): RegistryCamera {
    const row = this.#db.prepare('SELECT settings, password_sealed FROM cameras WHERE site = ? AND gateway = ? AND id = ?').get(site, gateway, camera) as
      { settings: string; password_sealed: string } | undefined;
    if (!row) throw new RegistryError(404, `no camera "${camera}" on ${site}/${gateway}`);
    return { ...(JSON.parse(row.settings) as Omit<RegistryCamera, 'password'>), password: this.#box.decrypt(row.password_sealed, cameraContext(site, gateway, camera)) };
  }

  /**
   * Adds or replaces a camera (without a password an existing camera keeps its own) and returns
   * the next remote config, which from now on carries the registry's camera list.
   */
  putCamera(site: string, gateway: string, input: RegistryCameraInput): { created: boolean; camera: CameraView; config: GatewayConfig } {
    return this.#db.transaction(() => {
      const record = this.#requireActive(site, gateway);
      if (this.#db.prepare('SELECT 1 FROM devices WHERE site = ? AND gateway = ? AND id = ?').get(site, gateway, input.id)) {
        throw new RegistryError(409, `camera id "${input.id}" is already a device of ${site}/${gateway}: one name must mean one thing`);
      }
      const existing = this.#db.prepare('SELECT password_sealed FROM cameras WHERE site = ? AND gateway = ? AND id = ?').get(site, gateway, input.id) as
        { password_sealed: string } | undefined;
      const { password, ...settings } = input;
      let sealed: string;
      if (password !== undefined) sealed = this.#box.encrypt(password, cameraContext(site, gateway, input.id));
      else if (existing) sealed = existing.password_sealed;
      else throw new RegistryError(409, `camera "${input.id}" is new: its password is required`);
      this.#db.prepare(`INSERT INTO cameras (site, gateway, id, settings, password_sealed) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (site, gateway, id) DO UPDATE SET settings = excluded.settings, password_sealed = excluded.password_sealed`)
        .run(site, gateway, input.id, JSON.stringify(settings), sealed);
      this.#manageCameras(site, gateway);
      return { created: existing === undefined, camera: { ...settings, password: 'set' as const }, config: this.#nextConfig(site, gateway, record) };
    })();
  }

  /** Removes a camera and returns the next remote config (without it). */
  deleteCamera(site: string, gateway: string, camera: string): GatewayConfig {
    return this.#db.transaction(() => {
      const record = this.#requireActive(site, gateway);
      const result = this.#db.prepare('DELETE FROM cameras WHERE site = ? AND gateway = ? AND id = ?').run(site, gateway, camera);
      if (result.changes === 0) throw new RegistryError(404, `no camera "${camera}" on ${site}/${gateway}`);
      this.#manageCameras(site, gateway);
      return this.#nextConfig(site, gateway, record);
    })();
  }

  /** From the first camera change on, configs carry the registry's list (even empty: removing the last camera stops it). */
  #manageCameras(site: string, gateway: string): void {
    this.#db.prepare('UPDATE gateways SET cameras_managed = 1 WHERE site = ? AND gateway = ?').run(site, gateway);
  }
}
