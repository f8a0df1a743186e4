// The gateway's current cameras, replaceable while it runs: a remote config that changes the
// camera list stops the running CameraService (its checks, schedules and event subscriptions)
// and starts one for the new list on the same sink, so images and events keep going through
// the same outbox. With no cameras it answers camera commands as a gateway without cameras does.
import type { Logger } from '../../lib/logger.js';
import type { CameraHealth } from '../../protocol/index.js';
import { NO_CAMERAS } from '../command-runner.js';
import { startCameraService, type CameraService, type CaptureCommand, type CaptureOutcome, type PtzCommand } from './camera-service.js';
import type { CameraSink } from './camera-worker.js';
import type { CameraDiscoverySettings, CameraSettings } from './settings.js';

export interface CameraSetOptions {
  discovery: CameraDiscoverySettings;
  sink: CameraSink;
  clock: () => number;
  logger: Logger;
}

/** Same list, same settings: JSON equality (both come from the same zod schema, defaults filled). */
export function sameCameraSettings(a: readonly CameraSettings[], b: readonly CameraSettings[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export class CameraSet {
  #service: CameraService | undefined;
  #settings: readonly CameraSettings[] = [];
  #stopped = false;

  constructor(private readonly options: CameraSetOptions, cameras: readonly CameraSettings[]) {
    this.#start(cameras);
  }

  get settings(): readonly CameraSettings[] {
    return this.#settings;
  }

  /**
   * Runs `cameras` instead of the current list; nothing happens if they are the same. The old
   * service is stopped (and its in-flight snapshots finished) before the new one starts, so a
   * camera kept across the change is never polled by two workers at once.
   */
  async replace(cameras: readonly CameraSettings[]): Promise<boolean> {
    if (this.#stopped || sameCameraSettings(cameras, this.#settings)) return false;
    const old = this.#service;
    this.#service = undefined;
    this.#settings = [];
    await old?.stop();
    if (!this.#stopped) this.#start(cameras);
    return true;
  }

  #start(cameras: readonly CameraSettings[]): void {
    this.#settings = cameras;
    this.#service = cameras.length > 0 ? startCameraService({ ...this.options, cameras }) : undefined;
  }

  get size(): number {
    return this.#settings.length;
  }

  /** The status `cameras` map: empty while there are none. */
  health(): Record<string, CameraHealth> {
    return this.#service?.health() ?? {};
  }

  async capture(command: CaptureCommand): Promise<CaptureOutcome> {
    if (!this.#service) return { ok: false, error: NO_CAMERAS, results: [] };
    return this.#service.capture(command);
  }

  async ptz(command: PtzCommand): Promise<void> {
    if (!this.#service) throw new Error(NO_CAMERAS);
    await this.#service.ptz(command);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    const old = this.#service;
    this.#service = undefined;
    await old?.stop();
  }
}
