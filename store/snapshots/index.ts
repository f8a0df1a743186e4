// Camera snapshots: images on disk by SHA-256 plus a SQLite index. Ingest writes through
// SnapshotStore; the API reads through SnapshotReader (same host, shared directory).
export { SnapshotStore, DEFAULT_SNAPSHOT_MAX_AGE_MS, DEFAULT_SNAPSHOT_MAX_BYTES, type SnapshotStoreOptions, type PutResult, type RetentionResult } from './snapshot-store.js';
export { SnapshotReader, type SnapshotHistoryQuery } from './snapshot-reader.js';
export { type CameraRef, type SnapshotRecord } from './snapshot-index.js';
export { imagePath, SHA256_PATTERN } from './image-files.js';
