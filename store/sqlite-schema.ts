// The SQLite schema of the embedded store: one row per series, a narrow readings
// table keyed for range scans of one field of one series, and a `latest` table so
// "current values" is an index lookup instead of a scan over months of readings.

/** Bumped when the schema changes; stored in PRAGMA user_version. */
export const SCHEMA_VERSION = 1;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS series (
  id INTEGER PRIMARY KEY,
  measurement TEXT NOT NULL,
  site TEXT NOT NULL,
  gateway TEXT NOT NULL,
  device TEXT NOT NULL,
  profile TEXT NOT NULL,
  UNIQUE (measurement, site, gateway, device, profile)
);
CREATE INDEX IF NOT EXISTS series_by_site ON series (site, gateway, device);

-- Per-sample metadata (seq for gap detection, quality); values live in readings.
CREATE TABLE IF NOT EXISTS samples (
  series_id INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  quality TEXT,
  PRIMARY KEY (series_id, ts)
) WITHOUT ROWID;

-- WITHOUT ROWID: the primary key is the table, so a history query is one range scan.
CREATE TABLE IF NOT EXISTS readings (
  series_id INTEGER NOT NULL,
  field TEXT NOT NULL,
  ts INTEGER NOT NULL,
  value REAL NOT NULL,
  PRIMARY KEY (series_id, field, ts)
) WITHOUT ROWID;

-- Newest value per field; also the catalogue of which fields a series has.
CREATE TABLE IF NOT EXISTS latest (
  series_id INTEGER NOT NULL,
  field TEXT NOT NULL,
  ts INTEGER NOT NULL,
  value REAL NOT NULL,
  PRIMARY KEY (series_id, field)
) WITHOUT ROWID;
`;
