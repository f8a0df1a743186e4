// Runs the backend's commands one at a time, in arrival order (a "siren on" then "siren off"
// must not overtake each other; a PTZ preset then a capture must see the camera turned): writes
// go to acquisition, which serializes them with polling on the bus; capture and ptz go to the
// camera service. Every command taken gets a command-result event with its id; a duplicate id
// is ignored.
import type { Logger } from '../lib/logger.js';
import type { Command, GatewayEvent } from '../protocol/index.js';
import type { Acquisition } from './acquisition.js';
import type { CameraCommands } from './cameras/camera-service.js';
import type { CommandLedger } from './command-ledger.js';
import {
  buildCommandResult, commandDetails, decodeCommand, resultTopicDevice, staleness,
  type CommandOutcome, type DecodedCommand,
} from './commands.js';

export const NO_CAMERAS = 'not supported on this gateway (no cameras)';

export interface CommandRunnerOptions {
  gatewayId: string;
  acquisition: Pick<Acquisition, 'write'>;
  /** The camera service; absent on a gateway without cameras (capture and ptz are refused). */
  cameras?: CameraCommands;
  ledger: CommandLedger;
  clock: () => number;
  /** Commands issued longer ago than this are refused as expired. */
  maxAgeMs: number;
  /** Where results go: the outbox, so a result survives an outage. */
  report(device: string, event: GatewayEvent): void;
  logger: Logger;
}

export class CommandRunner {
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;
  /** Ids seen in this process, in case the ledger's disk is full. */
  private readonly recent = new Set<string>();

  constructor(private readonly options: CommandRunnerOptions) {}

  /** Takes a payload from the command topic; runs after the commands before it. */
  submit(payload: Buffer | string): void {
    if (this.stopped) return;
    const decoded = decodeCommand(payload);
    if (decoded.ok && this.isDuplicate(decoded.command.id)) {
      this.options.logger.info({ id: decoded.command.id }, 'command already taken: duplicate ignored');
      return;
    }
    this.queue = this.queue.then(() => this.run(decoded));
  }

  /** Resolves when every command submitted so far has finished. */
  idle(): Promise<void> {
    return this.queue;
  }

  /** Takes no more commands; waits for the one running. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.queue;
  }

  private isDuplicate(id: string): boolean {
    if (this.recent.has(id)) return true;
    this.recent.add(id);
    if (this.recent.size > 1000) this.recent.delete(this.recent.values().next().value!);
    try {
      return !this.options.ledger.take(id, this.options.clock());
    } catch (err) {
      this.options.logger.warn({ err: (err as Error).message, id }, 'cannot record the command id (duplicates are caught in memory only)');
      return false;
    }
  }

  private async run(decoded: DecodedCommand): Promise<void> {
    const started = performance.now();
    let outcome: CommandOutcome;
    try {
      outcome = await this.execute(decoded);
    } catch (err) {
      outcome = { id: decoded.ok ? decoded.command.id : decoded.id, ok: false, error: (err as Error).message, durationMs: 0 };
    }
    outcome.durationMs = performance.now() - started;
    const device = resultTopicDevice(decoded, this.options.gatewayId);
    this.options.logger[outcome.ok ? 'info' : 'warn']({ id: outcome.id, command: outcome.command, ok: outcome.ok, error: outcome.error, durationMs: Math.round(outcome.durationMs) }, 'command result');
    this.options.report(device, buildCommandResult(outcome, this.options.clock()));
  }

  private async execute(decoded: DecodedCommand): Promise<CommandOutcome> {
    if (!decoded.ok) {
      return { id: decoded.id, ...(decoded.type !== undefined ? { command: decoded.type } : {}), ok: false, error: decoded.reason, durationMs: 0 };
    }
    const { command } = decoded;
    const base = { id: command.id, command: command.type, details: commandDetails(command), durationMs: 0 };
    const expired = staleness(command, this.options.clock(), this.options.maxAgeMs);
    if (expired) return { ...base, ok: false, error: expired };
    try {
      if (command.type === 'write') {
        await this.options.acquisition.write(command.device, command.point, command.value);
        return { ...base, ok: true };
      }
      return await this.executeCamera(command, base);
    } catch (err) {
      return { ...base, ok: false, error: (err as Error).message };
    }
  }

  private async executeCamera(command: Exclude<Command, { type: 'write' }>, base: Omit<CommandOutcome, 'ok'>): Promise<CommandOutcome> {
    const { cameras } = this.options;
    if (!cameras) return { ...base, ok: false, error: NO_CAMERAS };
    if (command.type === 'ptz') {
      await cameras.ptz(command);
      return { ...base, ok: true };
    }
    const outcome = await cameras.capture(command);
    // Per camera: which delivered an image (queued for the uplink) and why the others did not.
    const details = {
      ...base.details,
      ...(outcome.basis !== undefined ? { selection: outcome.basis } : {}),
      ...(command.alarmId !== undefined ? { alarmId: command.alarmId } : {}),
      ...(command.device !== undefined ? { device: command.device } : {}),
      captures: outcome.results,
    };
    if (outcome.error !== undefined) return { ...base, details, ok: false, error: outcome.error };
    const failed = outcome.results.filter((r) => !r.ok);
    if (failed.length === 0) return { ...base, details, ok: true };
    const error = `${failed.length} of ${outcome.results.length} cameras gave no image: ${failed.map((r) => `${r.camera}: ${r.error ?? 'failed'}`).join('; ')}`;
    return { ...base, details, ok: false, error };
  }
}
