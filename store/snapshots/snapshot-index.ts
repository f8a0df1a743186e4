// The snapshot index: one SQLite file (`{dir}/index.db`) beside the images. One row per
// snapshot message; `images` counts each stored file once, however many rows share it,
// so retention knows the bytes on disk and when a file is no longer referenced.
export const INDEX_FILE = 'index.db';
export const INDEX_SCHEMA_VERSION = 1;

export const INDEX_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS images (
  sha256 TEXT PRIMARY KEY,
  bytes INTEGER NOT NULL,
  stored_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS snapshots (
  id INTEGER PRIMARY KEY,
  site TEXT NOT NULL,
  gateway TEXT NOT NULL,
  camera TEXT NOT NULL,
  ts INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  width INTEGER,
  height INTEGER,
  trigger TEXT NOT NULL,
  alarm_id TEXT,
  command_id TEXT,
  device TEXT,
  reason TEXT,
  received_at INTEGER NOT NULL,
  -- a redelivered message (QoS 1) is stored once; also serves per-camera time queries
  UNIQUE (site, gateway, camera, ts, sha256)
);
CREATE INDEX IF NOT EXISTS snapshots_by_ts ON snapshots (ts);
CREATE INDEX IF NOT EXISTS snapshots_by_sha256 ON snapshots (sha256);

-- Each camera's newest snapshot, kept by the writer: the camera list reads it on every
-- request, and finding it with GROUP BY would scan the whole index.
CREATE TABLE IF NOT EXISTS cameras (
  site TEXT NOT NULL,
  gateway TEXT NOT NULL,
  camera TEXT NOT NULL,
  latest_id INTEGER NOT NULL,
  latest_ts INTEGER NOT NULL,
  PRIMARY KEY (site, gateway, camera)
) WITHOUT ROWID;
`;

/** Where a snapshot comes from: its camera, named by the topic. */
export interface CameraRef {
  site: string;
  gateway: string;
  camera: string;
}

export interface SnapshotRecord extends CameraRef {
  /** When the image was taken (gateway clock), ms since the epoch. */
  ts: number;
  sha256: string;
  bytes: number;
  width?: number;
  height?: number;
  trigger: string;
  alarmId?: string;
  commandId?: string;
  /** The sensor device whose alarm the image documents. */
  device?: string;
  reason?: string;
  /** When ingest stored it. */
  receivedAt: number;
}

export const RECORD_COLUMNS = `site, gateway, camera, ts, sha256, bytes, width, height, trigger,
  alarm_id AS alarmId, command_id AS commandId, device, reason, received_at AS receivedAt`;

/** SQLite gives NULL for absent columns; the API's types want them absent. */
export function recordFromRow(row: Record<string, unknown>): SnapshotRecord {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) if (value !== null) out[key] = value;
  return out as unknown as SnapshotRecord;
}
