// The gateway's durable store-and-forward queue. Every reading and event is committed to
// SQLite before anything is published, sent oldest first with a bounded number of messages
// awaiting the broker's PUBACK, and deleted only once acknowledged. While the uplink is down
// nothing is handed to MQTT.js (its offline queue replays one message at a time from memory);
// the backlog waits here, bounded by size and age, dropping the oldest rows and counting them.
import type { Logger } from '../lib/logger.js';
import type { Sample } from '../protocol/index.js';
import type { DiskReserve } from './disk-reserve.js';
import { filesystemFreeBytes, freeBytesInFile, isDiskFull, walGrowthLeft, type GatewayDatabase } from './local-db.js';
import { batchKeyOf, batchRows, type OutboundMessage } from './outbox-batching.js';
import { DROP_CAUSES, OutboxStore, rowBytes, type DropCause, type NewOutboxRow, type Removed } from './outbox-store.js';

export interface OutboxLimits {
  /** Bound on the stored bytes (payloads plus a per-row estimate); the oldest rows go first. */
  maxBytes: number;
  /** Rows older than this are dropped, oldest first. */
  maxAgeMs: number;
  /** Messages published and not yet acknowledged. */
  window: number;
  /** Samples per telemetry message when a backlog is sent. */
  maxSamplesPerMessage: number;
  /** Payload bytes per telemetry message. */
  maxMessageBytes: number;
  /**
   * Bound on the bytes of snapshot rows within `maxBytes`: past it the oldest snapshots go
   * (counted as `size`), so a long outage with cameras never pushes readings out.
   */
  maxSnapshotBytes?: number;
}

export interface OutboxOptions extends OutboxLimits {
  db: GatewayDatabase;
  /** Stamps rows for the age bound. */
  clock: () => number;
  logger: Logger;
  /** Publishes QoS 1; resolves on the broker's PUBACK, rejects if the connection drops first. */
  send(topic: string, payload: string | Buffer): Promise<void>;
  /** Rows read at a time to build messages: more rows, fuller batches from an interleaved backlog. */
  readChunkRows?: number;
  /** …and at most about this many bytes (default 8 MiB), whatever the row count. */
  readChunkBytes?: number;
  /** How often expired rows are looked for (default maxAgeMs / 20, between 1 s and 60 s). */
  ageCheckIntervalMs?: number;
  /** Pause before sending again after a publish failed while connected. */
  retryDelayMs?: number;
  /**
   * Space held back for a full disk (gateway/disk-reserve.ts). Without it the outbox still
   * drops the oldest rows when SQLite answers "full", but on a really full filesystem that drop
   * itself fails and new readings are refused until space comes back.
   */
  diskReserve?: DiskReserve;
  /** While the disk is low, how often to try taking the reserve back (default 10 s). */
  reserveRetryMs?: number;
}

export interface OutboxStats {
  /** Rows held (samples and events), including those in flight. */
  depth: number;
  bytes: number;
  /** Messages published and awaiting their PUBACK. */
  inFlight: number;
  /** Age of the oldest row held, ms (undefined when empty). */
  oldestAgeMs: number | undefined;
  /** Rows dropped since the outbox was created, by cause (kept across restarts). */
  dropped: Record<DropCause, number>;
  droppedTotal: number;
  /** Since this process started. */
  sentMessages: number;
  ackedMessages: number;
  ackedRows: number;
  /** The storage problem in force (disk full, I/O error), if any. */
  storageError: string | undefined;
  /**
   * The disk filled and the reserve is not held again yet: the outbox keeps to the space its
   * file already has, dropping the oldest rows (counted as diskFull) to make room for new ones.
   */
  lowDisk: boolean;
  /** The highest sequence number committed, across restarts. */
  lastSeq: number;
}

/** Disk full: first try freeing this share of the stored bytes (at least a few pages' worth). */
const DISK_FULL_DROP_SHARE = 0.05;
const DISK_FULL_MIN_DROP_BYTES = 16 * 1024;
const DISK_FULL_ATTEMPTS = 4;
/** While the disk is low, free pages kept in the file beyond twice the rows being inserted. */
const LOW_DISK_MARGIN_BYTES = 64 * 1024;
/** Low-disk drops happen every few commits: logged as a sum at most this often. */
const LOW_DISK_LOG_EVERY_MS = 60_000;

export class Outbox {
  private readonly store: OutboxStore;
  private readonly readChunkRows: number;
  private readonly readChunkBytes: number;
  /**
   * Snapshot bytes stored, as an upper bound: raised on enqueue, not lowered on acks and drops
   * (that would need each removed row's topic); recounted from the table when it passes the budget.
   */
  private snapshotBytes: number;
  private readonly retryDelayMs: number;
  private pending: NewOutboxRow[] = [];
  private pendingSeq: number | undefined;
  private flushScheduled = false;
  private ackedIds: number[] = [];
  private ackFlushScheduled = false;
  private online = false;
  private closed = false;
  /** Bumped whenever the connection's in-flight set is abandoned; late callbacks of an older epoch only delete rows. */
  private epoch = 0;
  /** Highest row id handed out on this connection: rows up to it are in flight or in `ready`. */
  private cursor = 0;
  private ready: OutboundMessage[] = [];
  private readonly inFlight = new Set<OutboundMessage>();
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly ageTimer: NodeJS.Timeout;
  private depth: number;
  private bytes: number;
  private readonly dropped: Record<DropCause, number>;
  private lastSeq: number;
  private storageError: string | undefined;
  private lowDisk = false;
  private lastReserveAttempt = Number.NEGATIVE_INFINITY;
  private lowDiskDropped = 0;
  private lowDiskLoggedAt = Number.NEGATIVE_INFINITY;
  private readonly reserveRetryMs: number;
  private readonly counts = { sentMessages: 0, ackedMessages: 0, ackedRows: 0 };
  private readonly listeners = new Set<() => void>();

  constructor(private readonly options: OutboxOptions) {
    this.store = new OutboxStore(options.db);
    this.readChunkRows = options.readChunkRows ?? 20_000;
    this.readChunkBytes = options.readChunkBytes ?? 8 * 1024 * 1024;
    this.retryDelayMs = options.retryDelayMs ?? 1000;
    this.reserveRetryMs = options.reserveRetryMs ?? 10_000;
    if (options.diskReserve) {
      // One WAL cycle must fit in half the reserve: released on a full disk, it then covers the
      // WAL growing to its checkpoint size and the database growing when that checkpoint runs.
      const pageSize = options.db.pragma('page_size', { simple: true }) as number;
      options.db.pragma(`wal_autocheckpoint = ${Math.max(16, Math.min(1000, Math.floor(options.diskReserve.wantedBytes / 2 / pageSize)))}`);
      this.takeReserve();
    }
    const totals = this.store.totals();
    this.depth = totals.rows;
    this.bytes = totals.bytes;
    this.dropped = this.store.dropped();
    this.lastSeq = this.store.lastSeq();
    this.snapshotBytes = this.store.snapshotBytes();
    this.dropExpired();
    this.enforceSize();
    const ageEvery = options.ageCheckIntervalMs ?? Math.min(60_000, Math.max(1000, Math.floor(options.maxAgeMs / 20)));
    this.ageTimer = setInterval(() => this.dropExpired(), ageEvery);
    this.ageTimer.unref();
    if (this.depth > 0) options.logger.info({ rows: this.depth, bytes: this.bytes, lastSeq: this.lastSeq }, 'outbox holds readings from before the restart');
  }

  /** The sequence number to continue from: sequence numbers stay monotonic across restarts. */
  get committedSeq(): number {
    return this.lastSeq;
  }

  /** Queues one telemetry sample; committed at the end of this tick, then published. */
  enqueueSample(topic: string, head: { measurement: string; profile: string }, sample: Sample): void {
    const batchKey = batchKeyOf(head);
    const body = JSON.stringify(sample);
    this.add({ createdAt: this.options.clock(), topic, kind: 'sample', batchKey, body, bytes: rowBytes(topic, batchKey, body) });
    this.pendingSeq = Math.max(this.pendingSeq ?? 0, sample.seq);
  }

  /** Queues a whole message (an event), sent as it is. */
  enqueueMessage(topic: string, payload: unknown): void {
    const body = JSON.stringify(payload);
    this.add({ createdAt: this.options.clock(), topic, kind: 'message', batchKey: null, body, bytes: rowBytes(topic, null, body) });
  }

  /**
   * Queues a snapshot (binary envelope, protocol/snapshot.ts), kept like any message until the
   * broker acknowledges it. Snapshots have their own budget (`maxSnapshotBytes`): the oldest
   * snapshots are dropped first, never readings.
   */
  enqueueSnapshot(topic: string, payload: Buffer): void {
    const bytes = rowBytes(topic, null, payload);
    this.snapshotBytes += bytes;
    this.add({ createdAt: this.options.clock(), topic, kind: 'message', batchKey: null, body: payload, bytes });
  }

  /** The uplink is connected (true) or lost (false). Losing it abandons what is in flight: it stays stored and goes again. */
  setOnline(online: boolean): void {
    if (this.closed) return;
    this.flushAcks();
    this.online = online;
    this.rewind();
    if (online) this.pump();
  }

  stats(): OutboxStats {
    const oldest = this.depth > 0 && !this.closed ? this.store.oldestCreatedAt() : undefined;
    return {
      depth: this.depth,
      bytes: this.bytes,
      inFlight: this.inFlight.size,
      oldestAgeMs: oldest === undefined ? undefined : Math.max(0, this.options.clock() - oldest),
      dropped: { ...this.dropped },
      droppedTotal: DROP_CAUSES.reduce((total, cause) => total + this.dropped[cause], 0),
      ...this.counts,
      storageError: this.storageError,
      lowDisk: this.lowDisk,
      lastSeq: this.lastSeq,
    };
  }

  /** Resolves true once everything queued has been acknowledged, false after `timeoutMs`. */
  waitUntilEmpty(timeoutMs: number): Promise<boolean> {
    const empty = (): boolean => this.depth === 0 && this.pending.length === 0;
    if (empty()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (result: boolean): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve(result);
      };
      const check = (): void => {
        if (empty()) done(true);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      this.listeners.add(check);
    });
  }

  /** Commits what is queued and stops sending. The database stays open (its owner closes it). */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.flushAcks();
    this.closed = true;
    this.online = false;
    clearInterval(this.ageTimer);
    clearTimeout(this.retryTimer);
    this.inFlight.clear();
    this.ready = [];
    this.notify();
  }

  private add(row: NewOutboxRow): void {
    if (this.closed) {
      this.options.logger.warn({ topic: row.topic }, 'outbox closed: message not kept');
      return;
    }
    this.pending.push(row);
    // Group commit: everything queued in one tick shares one transaction (one fsync).
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0) return;
    const rows = this.pending;
    const seq = this.pendingSeq;
    this.pending = [];
    this.pendingSeq = undefined;
    if (this.insert(rows, seq)) this.enforceSize();
    this.pump();
    this.notify();
  }

  /**
   * Inserts the rows. On a full disk: hands the reserve back to the filesystem (once), drops the
   * oldest rows, folds the WAL into the database so it starts over in the space it has, and
   * tries again; what still cannot be stored is refused, counted.
   */
  private insert(rows: NewOutboxRow[], seq: number | undefined): boolean {
    const needed = rows.reduce((total, r) => total + r.bytes, 0);
    if (this.lowDisk) this.takeReserve();
    if (this.lowDisk) this.keepRoomInFile(needed);
    for (let attempt = 0; ; attempt++) {
      try {
        this.store.insert(rows, seq);
        this.depth += rows.length;
        this.bytes += needed;
        if (seq !== undefined) this.lastSeq = Math.max(this.lastSeq, seq);
        if (this.storageError !== undefined) {
          this.options.logger.info({ previous: this.storageError }, 'outbox storage recovered');
          this.storageError = undefined;
        }
        return true;
      } catch (err) {
        const message = (err as Error).message;
        if (isDiskFull(err) && attempt < DISK_FULL_ATTEMPTS) {
          const released = this.enterLowDisk();
          const target = Math.max(needed * 4, this.bytes * DISK_FULL_DROP_SHARE, DISK_FULL_MIN_DROP_BYTES) * 2 ** attempt;
          const freed = this.tryDrop(target, 'diskFull');
          this.restartWal();
          if (freed.rows > 0) {
            this.options.logger.warn({ droppedRows: freed.rows, droppedBytes: freed.bytes, attempt }, 'disk full: dropped the oldest outbox rows to make room');
            continue;
          }
          // The drop may have failed for want of the very space the reserve just gave back.
          if (released > 0) continue;
        }
        this.refuse(rows.length, isDiskFull(err) ? `disk full: ${message}` : `storage error: ${message}`);
        return false;
      }
    }
  }

  /** Gives the reserve's space to SQLite and keeps to the file's own space from now on; returns the bytes freed. */
  private enterLowDisk(): number {
    const reserve = this.options.diskReserve;
    const released = reserve ? reserve.release() : 0;
    if (!this.lowDisk) {
      this.lowDisk = true;
      this.lastReserveAttempt = this.options.clock();
      this.options.logger.warn({ releasedReserveBytes: released }, 'disk full: outbox released its reserve and now keeps to the space its file has, dropping the oldest rows to make room');
    }
    return released;
  }

  /**
   * Low disk: the insert must fit in pages the file already has, or in space the filesystem has
   * beyond one WAL cycle. Were it to grow the file into the last free bytes, the next WAL
   * checkpoint could not write those pages out, the WAL could not start over, and the outbox
   * would end up unable even to delete. So free pages are made first, oldest rows out.
   */
  private keepRoomInFile(needed: number): void {
    try {
      const free = freeBytesInFile(this.options.db);
      const wanted = needed * 2 + LOW_DISK_MARGIN_BYTES;
      if (free >= wanted) return;
      // Space the filesystem still has beyond what the WAL may yet take may be used: the file
      // can grow (each new page is written twice: in the WAL, then by the checkpoint).
      if ((filesystemFreeBytes(this.options.db) ?? 0) >= walGrowthLeft(this.options.db) + 2 * wanted) return;
      // One margin more than wanted: drops come in chunks, not on every commit, and the rows
      // held stay at what the file can take instead of shrinking on each round.
      const removed = this.tryDrop(wanted + LOW_DISK_MARGIN_BYTES - free, 'diskFull');
      this.restartWal();
      this.lowDiskDropped += removed.rows;
      const now = this.options.clock();
      if (this.lowDiskDropped > 0 && now - this.lowDiskLoggedAt >= LOW_DISK_LOG_EVERY_MS) {
        this.options.logger.warn({ droppedRows: this.lowDiskDropped, heldRows: this.depth }, 'low disk: dropped the oldest outbox rows to make room within the file');
        this.lowDiskDropped = 0;
        this.lowDiskLoggedAt = now;
      }
    } catch (err) {
      this.options.logger.warn({ err: (err as Error).message }, 'low disk: could not make room within the outbox file');
    }
  }

  /** Copies the WAL into the database and has the next write start the WAL over: no new WAL space needed. */
  private restartWal(): void {
    try {
      this.options.db.pragma('wal_checkpoint(RESTART)');
    } catch (err) {
      this.options.logger.warn({ err: (err as Error).message }, 'outbox WAL checkpoint failed');
    }
  }

  /** Takes the reserve (back); while the disk is low, tried at most every `reserveRetryMs`. */
  private takeReserve(): void {
    const reserve = this.options.diskReserve;
    if (!reserve) {
      // Nothing to take back, nothing to tell space from its absence: the next full disk is
      // met as the first one was, by dropping when SQLite refuses.
      this.lowDisk = false;
      return;
    }
    const now = this.options.clock();
    if (this.lowDisk && now - this.lastReserveAttempt < this.reserveRetryMs) return;
    this.lastReserveAttempt = now;
    let full: boolean;
    try {
      full = reserve.refill();
    } catch (err) {
      this.options.logger.warn({ err: (err as Error).message, file: reserve.file }, 'outbox could not write its disk reserve');
      full = false;
    }
    if (full && this.lowDisk) this.options.logger.info({ reserveBytes: reserve.wantedBytes }, 'disk space back: outbox reserve restored');
    if (!full && !this.lowDisk) this.options.logger.warn({ heldBytes: reserve.heldBytes(), wantedBytes: reserve.wantedBytes }, 'low disk: outbox could not take its full reserve');
    this.lowDisk = !full;
  }

  private refuse(rows: number, reason: string): void {
    this.dropped.refused += rows;
    try {
      this.store.countRefused(rows);
    } catch {
      // The same full disk: the in-memory count still shows in the status.
    }
    if (this.storageError === undefined) this.options.logger.error({ reason, rows }, 'outbox cannot store new readings: refusing them until storage recovers');
    this.storageError = reason.slice(0, 500);
  }

  /** Drops from the oldest rows not already on their way to the broker; a failing delete drops nothing. */
  private tryDrop(bytes: number, cause: DropCause): Removed {
    try {
      const removed = this.store.dropOldest(this.cursor, bytes, cause);
      this.account(removed, cause);
      return removed;
    } catch (err) {
      this.options.logger.warn({ err: (err as Error).message, cause }, 'outbox could not drop old rows');
      return { rows: 0, bytes: 0 };
    }
  }

  private account(removed: Removed, cause: DropCause): void {
    this.depth -= removed.rows;
    this.bytes -= removed.bytes;
    this.dropped[cause] += removed.rows;
  }

  private enforceSize(): void {
    this.enforceSnapshotBudget();
    if (this.bytes <= this.options.maxBytes) return;
    const removed = this.tryDrop(this.bytes - this.options.maxBytes, 'size');
    if (removed.rows > 0) this.options.logger.warn({ droppedRows: removed.rows, droppedBytes: removed.bytes, maxBytes: this.options.maxBytes }, 'outbox full: dropped the oldest rows');
  }

  private enforceSnapshotBudget(): void {
    const budget = this.options.maxSnapshotBytes;
    if (budget === undefined || this.snapshotBytes <= budget) return;
    try {
      this.snapshotBytes = this.store.snapshotBytes();
      if (this.snapshotBytes <= budget) return;
      const removed = this.store.dropOldestSnapshots(this.cursor, this.snapshotBytes - budget);
      this.account(removed, 'size');
      this.snapshotBytes -= removed.bytes;
      if (removed.rows > 0) this.options.logger.warn({ droppedSnapshots: removed.rows, droppedBytes: removed.bytes, maxSnapshotBytes: budget }, 'outbox snapshot budget full: dropped the oldest snapshots');
    } catch (err) {
      this.options.logger.warn({ err: (err as Error).message }, 'outbox could not drop old snapshots');
    }
  }

  private dropExpired(): void {
    if (this.closed || this.depth === 0) return;
    try {
      const oldest = this.store.oldestCreatedAt();
      const cutoff = this.options.clock() - this.options.maxAgeMs;
      if (oldest === undefined || oldest >= cutoff) return;
      const removed = this.store.dropExpired(this.cursor, cutoff);
      this.account(removed, 'age');
      if (removed.rows > 0) this.options.logger.warn({ droppedRows: removed.rows, maxAgeMs: this.options.maxAgeMs }, 'outbox: dropped rows older than the age bound');
      this.notify();
    } catch (err) {
      this.options.logger.warn({ err: (err as Error).message }, 'outbox could not drop expired rows');
    }
  }

  /** Forgets what this connection had in flight: those rows are still stored and go again. */
  private rewind(): void {
    this.epoch++;
    this.inFlight.clear();
    this.ready = [];
    this.cursor = 0;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private pump(): void {
    if (!this.online || this.closed || this.retryTimer) return;
    while (this.inFlight.size < this.options.window) {
      if (this.ready.length === 0 && !this.refill()) return;
      this.sendOne(this.ready.shift()!);
    }
  }

  private refill(): boolean {
    const rows = this.store.readAfter(this.cursor, this.readChunkRows, this.readChunkBytes);
    if (rows.length === 0) return false;
    this.cursor = rows.at(-1)!.id;
    this.ready = batchRows(rows, { maxSamples: this.options.maxSamplesPerMessage, maxBytes: this.options.maxMessageBytes });
    return true;
  }

  private sendOne(message: OutboundMessage): void {
    const epoch = this.epoch;
    this.inFlight.add(message);
    this.counts.sentMessages++;
    let sent: Promise<void>;
    try {
      sent = this.options.send(message.topic, message.payload);
    } catch (err) {
      sent = Promise.reject(err as Error);
    }
    sent.then(
      () => {
        // An acknowledgement is good news whatever happened since: the broker has the rows.
        this.ackedIds.push(...message.rowIds);
        this.counts.ackedMessages++;
        this.counts.ackedRows += message.rowIds.length;
        this.scheduleAckFlush();
        if (epoch === this.epoch) {
          this.inFlight.delete(message);
          this.pump();
        }
      },
      (err: Error) => {
        if (epoch !== this.epoch || this.closed) return;
        // Still connected, yet the publish failed: start again from the oldest row after a pause.
        this.options.logger.warn({ err: err.message, topic: message.topic }, 'outbox publish failed; resending from the oldest row');
        this.rewind();
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.pump();
        }, this.retryDelayMs);
        this.retryTimer.unref();
      },
    );
  }

  private scheduleAckFlush(): void {
    if (this.ackFlushScheduled) return;
    this.ackFlushScheduled = true;
    // All PUBACKs read from one socket chunk are deleted in one transaction.
    setImmediate(() => {
      this.flushAcks();
      this.pump();
      this.notify();
    });
  }

  private flushAcks(): void {
    this.ackFlushScheduled = false;
    if (this.ackedIds.length === 0 || this.closed) return;
    const ids = this.ackedIds;
    this.ackedIds = [];
    try {
      const removed = this.store.deleteAcked(ids);
      this.depth -= removed.rows;
      this.bytes -= removed.bytes;
    } catch (err) {
      // Left in place they are sent again after the next reconnect: a duplicate, never a loss.
      this.options.logger.warn({ err: (err as Error).message, rows: ids.length }, 'outbox could not delete acknowledged rows');
    }
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
