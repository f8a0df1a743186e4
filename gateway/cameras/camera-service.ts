// The gateway's cameras as one service: a worker per configured camera (camera-worker.ts), one
// WS-Discovery finder shared by the cameras configured with `discover`, the status `cameras`
// map, and the two camera commands (capture, ptz) that the CommandRunner hands over.
import type { Logger } from '../../lib/logger.js';
import type { CameraHealth, Command } from '../../protocol/index.js';
import { CameraFinder } from './camera-finder.js';
import { CameraWorker, type CameraSink, type SnapshotResult } from './camera-worker.js';
import { selectCaptureTargets, type CaptureBasis } from './capture-targets.js';
import { CameraError } from './errors.js';
import type { CameraDiscoverySettings, CameraSettings } from './settings.js';

export type CaptureCommand = Extract<Command, { type: 'capture' }>;
export type PtzCommand = Extract<Command, { type: 'ptz' }>;

/** Default length of a PTZ `move` when the command gives no timeoutMs. */
export const DEFAULT_PTZ_MOVE_MS = 1000;

export interface CaptureOutcome {
  /** True only if every selected camera delivered an image. */
  ok: boolean;
  /** Why nothing was attempted (unknown camera, no cameras). */
  error?: string;
  basis?: CaptureBasis;
  results: SnapshotResult[];
}

/** What the CommandRunner needs from the cameras. */
export interface CameraCommands {
  capture(command: CaptureCommand): Promise<CaptureOutcome>;
  ptz(command: PtzCommand): Promise<void>;
}

export interface CameraService extends CameraCommands {
  /** The status `cameras` map: a fresh snapshot on every call. */
  health(): Record<string, CameraHealth>;
  /** Stops checks, snapshots and event subscriptions (unsubscribing); waits for what is in flight. */
  stop(): Promise<void>;
}

export interface CameraServiceOptions {
  cameras: readonly CameraSettings[];
  discovery: CameraDiscoverySettings;
  sink: CameraSink;
  clock: () => number;
  logger: Logger;
}

export function startCameraService(options: CameraServiceOptions): CameraService {
  const { logger } = options;
  const finder = options.cameras.some((camera) => camera.discover) ? new CameraFinder(options.discovery, logger.child({ part: 'camera-discovery' })) : undefined;
  const workers = new Map<string, CameraWorker>();
  for (const settings of options.cameras) {
    workers.set(settings.id, new CameraWorker(settings, options.sink, options.clock, logger.child({ camera: settings.id }), finder));
  }
  for (const worker of workers.values()) worker.start();
  logger.info({ cameras: [...workers.keys()] }, 'camera service started');

  const worker = (id: string): CameraWorker => {
    const found = workers.get(id);
    if (!found) throw new CameraError('protocol', `unknown camera "${id}" (this gateway has ${[...workers.keys()].join(', ') || 'no cameras'})`);
    return found;
  };

  return {
    async capture(command) {
      const targets = selectCaptureTargets(command, options.cameras);
      if (!targets.ok) return { ok: false, error: targets.error, results: [] };
      // An alarm's images document the alarm; an operator's are "command".
      const trigger = command.alarmId !== undefined ? 'alarm' : 'command';
      const results = await Promise.all(targets.cameras.map((id) => worker(id).snapshot({
        trigger, commandId: command.id,
        ...(command.alarmId !== undefined ? { alarmId: command.alarmId } : {}),
        ...(command.device !== undefined ? { device: command.device } : {}),
        ...(command.reason !== undefined ? { reason: command.reason } : {}),
      })));
      return { ok: results.every((r) => r.ok), basis: targets.basis, results };
    },

    async ptz(command) {
      const target = worker(command.camera);
      if (command.action === 'move') {
        await target.ptz({ action: 'move', speed: { pan: command.pan ?? 0, tilt: command.tilt ?? 0, zoom: command.zoom ?? 0 }, timeoutMs: command.timeoutMs ?? DEFAULT_PTZ_MOVE_MS });
      } else if (command.action === 'stop') {
        await target.ptz({ action: 'stop' });
      } else {
        await target.ptz({ action: 'preset', preset: command.preset! });
      }
    },

    health() {
      return Object.fromEntries([...workers.values()].map((w) => [w.id, w.status()]));
    },

    async stop() {
      await Promise.all([...workers.values()].map((w) => w.stop()));
      logger.info('camera service stopped');
    },
  };
}
