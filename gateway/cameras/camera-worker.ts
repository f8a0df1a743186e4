// Everything the gateway does with one camera: the health loop (an authenticated ONVIF call
// every healthIntervalMs, through the pure state machine in health.ts), scheduled snapshots,
// the PullPoint event loop, and the captures and PTZ moves commands ask for. What it produces
// leaves through the sink: events and snapshots into the outbox, a nudge to publish the status.
import type { Logger } from '../../lib/logger.js';
import { PROTOCOL_VERSION, encodeSnapshot, type CameraHealth, type GatewayEvent, type SnapshotTrigger } from '../../protocol/index.js';
import type { CameraFinder } from './camera-finder.js';
import { CameraError, redactUrl, toCameraError } from './errors.js';
import { initialHealth, stepHealth, type HealthInput, type HealthState } from './health.js';
import { checkSnapshotImage } from './jpeg.js';
import type { CameraNotification } from './notifications.js';
import { OnvifCamera, type CameraConnection, type PtzSpeed } from './onvif-client.js';
import { runPullPointLoop } from './pullpoint.js';
import type { CameraSettings } from './settings.js';

export interface CameraSink {
  event(cameraId: string, event: GatewayEvent): void;
  snapshot(cameraId: string, payload: Buffer): void;
  /** A camera changed state: the status goes out now rather than at the next interval. */
  healthChanged(): void;
}

export interface SnapshotRequest {
  trigger: SnapshotTrigger;
  commandId?: string;
  alarmId?: string;
  device?: string;
  reason?: string;
}

export interface SnapshotResult {
  camera: string;
  ok: boolean;
  error?: string;
  bytes?: number;
  width?: number;
  height?: number;
}

export type PtzRequest =
  | { action: 'move'; speed: PtzSpeed; timeoutMs: number }
  | { action: 'stop' }
  | { action: 'preset'; preset: string };

const MAX_ERROR_CHARS = 500;
/** Longest the gateway's stop waits for a camera's requests in flight (the PullPoint Unsubscribe among them). */
const STOP_WAIT_MS = 2000;

export class CameraWorker {
  private health: HealthState;
  private camera: OnvifCamera | undefined;
  /** Metadata of the last successful connect, kept while the camera is away (the status still names it). */
  private metadata: CameraConnection | undefined;
  private snapshotsOk = 0;
  private snapshotsFailed = 0;
  private lastSnapshotTs: number | undefined;
  private lastXaddr: string | undefined;
  private motionSnapshotRunning = false;
  private healthTimer: NodeJS.Timeout | undefined;
  private snapshotTimer: NodeJS.Timeout | undefined;
  private readonly abort = new AbortController();
  private readonly running = new Set<Promise<unknown>>();
  private stopped = false;

  constructor(
    readonly settings: CameraSettings,
    private readonly sink: CameraSink,
    private readonly clock: () => number,
    private readonly logger: Logger,
    private readonly finder: CameraFinder | undefined,
  ) {
    this.health = initialHealth(clock());
    if (settings.xaddr) this.camera = this.newCamera(settings.xaddr);
  }

  get id(): string {
    return this.settings.id;
  }

  start(): void {
    this.scheduleHealth(0);
    if (this.settings.snapshotIntervalMs > 0) this.scheduleSnapshot(this.settings.snapshotIntervalMs);
    if (this.settings.events) {
      this.track(runPullPointLoop({
        subscription: () => {
          const connection = this.camera?.connected;
          if (!connection?.eventsXaddr || !this.camera) return undefined;
          const camera = this.camera;
          return { eventsXaddr: connection.eventsXaddr, credentials: () => camera.credentials(), timeoutMs: this.settings.timeoutMs };
        },
        onEvent: (notification) => this.onNotification(notification),
        logger: this.logger,
        signal: this.abort.signal,
        // Quick to come back after a short outage, without hammering a camera that is away.
        retryMinMs: Math.min(1000, this.settings.healthIntervalMs),
        retryMaxMs: Math.max(60_000, this.settings.healthIntervalMs),
      }));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.healthTimer);
    clearTimeout(this.snapshotTimer);
    this.abort.abort();
    // Checks and snapshots in flight end by their own timeouts; the gateway's stop does not wait
    // for a stalled camera longer than this (their results are dropped once stopped).
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.running]),
      new Promise<void>((resolve) => { timer = setTimeout(resolve, STOP_WAIT_MS); }),
    ]);
    clearTimeout(timer);
  }

  /** The camera's entry in the status `cameras` map. */
  status(): CameraHealth {
    const m = this.metadata;
    // A discovered camera that went away keeps its last address in the status: where to look first.
    const xaddr = this.camera?.options.xaddr ?? this.lastXaddr;
    return {
      state: this.health.state,
      since: this.health.since,
      ...(this.health.lastError !== undefined ? { lastError: this.health.lastError.slice(0, MAX_ERROR_CHARS) } : {}),
      ...(xaddr !== undefined ? { xaddr: redactUrl(xaddr).slice(0, 500) } : {}),
      ...m?.info,
      ...(m ? { profiles: m.profiles, ptz: m.ptz } : {}),
      ...(m?.streamUri !== undefined ? { streamUri: redactUrl(m.streamUri).slice(0, 1000) } : {}),
      linkedDevices: [...this.settings.linkedDevices],
      ...(this.lastSnapshotTs !== undefined ? { lastSnapshotTs: this.lastSnapshotTs } : {}),
      snapshotsOk: this.snapshotsOk,
      snapshotsFailed: this.snapshotsFailed,
    };
  }

  /** One snapshot now, queued for the uplink; the result says whether an image was delivered to the outbox. */
  async snapshot(request: SnapshotRequest): Promise<SnapshotResult> {
    const ts = this.clock();
    try {
      const camera = await this.connectedCamera();
      const image = await camera.fetchSnapshot(this.settings.maxSnapshotBytes);
      const check = checkSnapshotImage(image, this.settings.maxSnapshotBytes);
      if (!check.ok) throw new CameraError('protocol', `snapshot: ${check.reason}`);
      const payload = encodeSnapshot({
        ts, trigger: request.trigger,
        ...(check.size ? { width: check.size.width, height: check.size.height } : {}),
        ...(request.commandId !== undefined ? { commandId: request.commandId } : {}),
        ...(request.alarmId !== undefined ? { alarmId: request.alarmId } : {}),
        ...(request.device !== undefined ? { device: request.device } : {}),
        ...(request.reason !== undefined ? { reason: request.reason } : {}),
      }, image);
      if (this.stopped) throw new CameraError('protocol', 'gateway stopping');
      this.sink.snapshot(this.id, payload);
      this.snapshotsOk++;
      this.lastSnapshotTs = ts;
      this.feed({ kind: 'snapshot-ok' });
      this.logger.debug({ trigger: request.trigger, bytes: image.length }, 'snapshot queued');
      return { camera: this.id, ok: true, bytes: image.length, ...(check.size ?? {}) };
    } catch (err) {
      const error = toCameraError(err, 'snapshot');
      this.snapshotsFailed++;
      this.feed({ kind: 'snapshot-failed', error: error.message });
      this.logger.warn({ trigger: request.trigger, err: error.message, kind: error.kind }, 'snapshot failed');
      return { camera: this.id, ok: false, error: error.message };
    }
  }

  async ptz(request: PtzRequest): Promise<void> {
    const camera = await this.connectedCamera();
    if (!camera.connected?.ptz) throw new CameraError('protocol', `camera "${this.id}" has no PTZ`);
    if (request.action === 'move') await camera.ptzMove(request.speed, request.timeoutMs);
    else if (request.action === 'stop') await camera.ptzStop();
    else await camera.gotoPreset(request.preset);
  }

  /** The camera, connected: a command does not wait for the next health check to find it back. */
  private async connectedCamera(): Promise<OnvifCamera> {
    const camera = this.camera;
    if (!camera) throw new CameraError('unreachable', this.health.lastError ?? `camera "${this.id}" not found yet`);
    if (!camera.connected) {
      await camera.connect();
      this.onConnected(camera);
    }
    return camera;
  }

  private newCamera(xaddr: string): OnvifCamera {
    const { username, password, timeoutMs, profile } = this.settings;
    this.lastXaddr = xaddr;
    return new OnvifCamera({ xaddr, username, password, timeoutMs, ...(profile !== undefined ? { profile } : {}) });
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.running.add(promise);
    void promise.finally(() => this.running.delete(promise)).catch(() => undefined);
    return promise;
  }

  private scheduleHealth(delayMs: number): void {
    if (this.stopped) return;
    this.healthTimer = setTimeout(() => {
      void this.track(this.checkHealth()).finally(() => this.scheduleHealth(this.settings.healthIntervalMs));
    }, delayMs);
  }

  private scheduleSnapshot(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.snapshotTimer);
    this.snapshotTimer = setTimeout(() => {
      // Skipped while the camera is away: the health state says why, and a failed attempt per
      // interval would only repeat it. A command capture still tries.
      const run: Promise<unknown> = this.camera?.connected ? this.snapshot({ trigger: 'schedule' }) : Promise.resolve();
      void this.track(run).finally(() => this.scheduleSnapshot(this.settings.snapshotIntervalMs));
    }, delayMs);
  }

  private async checkHealth(): Promise<void> {
    const hadConnection = this.camera?.connected;
    if (!this.camera) {
      if (!(await this.resolveAddress())) return;
    }
    const camera = this.camera!;
    try {
      await camera.check();
      if (camera.connected !== hadConnection) this.onConnected(camera);
      this.feed({ kind: 'check-ok' });
    } catch (err) {
      if (this.stopped) return;
      const error = toCameraError(err, 'check');
      camera.disconnect();
      // A discovered camera that stops answering may have a new address (DHCP): look again.
      if (this.settings.discover && error.kind === 'unreachable') this.camera = undefined;
      this.feed({ kind: 'check-failed', error: error.message, errorKind: error.kind });
    }
  }

  /** For `discover` cameras: the address from WS-Discovery; false (and unreachable) when not found. */
  private async resolveAddress(): Promise<boolean> {
    const match = this.settings.discover!;
    const found = await this.finder!.find(match);
    if (this.stopped) return false;
    if (!found) {
      const what = Object.entries(match).map(([k, v]) => `${k}=${String(v)}`).join(', ');
      this.feed({ kind: 'check-failed', errorKind: 'unreachable', error: `not found by WS-Discovery (${what})` });
      return false;
    }
    this.logger.info({ xaddr: redactUrl(found.xaddr), urn: found.urn }, 'camera found by WS-Discovery');
    this.camera = this.newCamera(found.xaddr);
    return true;
  }

  private onConnected(camera: OnvifCamera): void {
    const connection = camera.connected;
    if (!connection) return;
    const first = this.metadata === undefined;
    this.metadata = connection;
    this.logger.info({ xaddr: redactUrl(camera.options.xaddr), model: connection.info.model, profile: connection.profileToken, ptz: connection.ptz, events: connection.eventsXaddr !== undefined }, 'camera connected');
    if (this.settings.events && !connection.eventsXaddr) this.logger.warn('the camera has no event service: no motion or tamper events');
    // The first image right away, not one interval after the start.
    if (first && this.settings.snapshotIntervalMs > 0) this.scheduleSnapshot(0);
    this.sink.healthChanged();
  }

  private feed(input: HealthInput): void {
    if (this.stopped) return;
    const now = this.clock();
    const { next, transition } = stepHealth(this.health, input, now, this.settings.snapshotFailuresBeforeAlert);
    this.health = next;
    if (!transition) return;
    const level = transition.to === 'online' ? 'info' : 'warn';
    this.logger[level]({ from: transition.from, to: transition.to, err: transition.error }, 'camera state changed');
    this.sink.event(this.id, {
      v: PROTOCOL_VERSION, ts: now, type: `camera-${transition.to}`,
      message: `camera ${this.id}: ${transition.from} → ${transition.to}${transition.error ? `: ${transition.error}` : ''}`.slice(0, 2000),
      data: { previous: transition.from, ...(transition.error !== undefined ? { error: transition.error.slice(0, MAX_ERROR_CHARS) } : {}) },
    });
    this.sink.healthChanged();
  }

  private onNotification(notification: CameraNotification): void {
    if (this.stopped) return;
    const { type, active, topic, source } = notification;
    this.logger.info({ type, active, topic, source }, 'camera event');
    this.sink.event(this.id, {
      v: PROTOCOL_VERSION, ts: this.clock(), type,
      message: `${type} ${active ? 'started' : 'ended'} on camera ${this.id}`,
      data: { active, topic, ...(source !== undefined ? { source } : {}) },
    });
    if (type === 'motion' && active && this.settings.snapshotOnMotion && !this.motionSnapshotRunning) {
      // One motion image at a time: a flickering detector must not queue a burst of snapshots.
      this.motionSnapshotRunning = true;
      void this.track(this.snapshot({ trigger: 'motion', reason: topic.slice(0, 500) })).finally(() => {
        this.motionSnapshotRunning = false;
      });
    }
  }
}
