// Applies remote configs without a restart, one at a time in arrival order: judge it
// (remote-config.ts), hand its devices and cameras to the gateway, save it, report the new state.
// A refused config leaves the running one in place and names the problem (status.configError).
import type { Logger } from '../lib/logger.js';
import type { GatewayConfig } from '../protocol/index.js';
import type { AppliedConfigStore } from './applied-config.js';
import { judgeRemoteConfig, runningFrom, type RunningConfig } from './remote-config.js';

export interface ConfigState {
  /** Version running: 0 for the file's devices. */
  version: number;
  /** Why the last config was refused (cleared when a newer one is applied). */
  error?: string;
}

export interface ConfigUpdaterOptions {
  running: RunningConfig;
  error?: string;
  profiles: { has(name: string): boolean };
  /**
   * Runs the config's devices (and its cameras, or the file's when it has none). Throws without
   * changing anything if it cannot take them.
   */
  apply(config: GatewayConfig): Promise<void>;
  store: AppliedConfigStore;
  clock: () => number;
  logger: Logger;
  /** Called after every change of version or error (the gateway publishes its status). */
  onChange(state: ConfigState): void;
}

export class ConfigUpdater {
  private running: RunningConfig;
  private error: string | undefined;
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly options: ConfigUpdaterOptions) {
    this.running = options.running;
    this.error = options.error;
  }

  state(): ConfigState {
    return { version: this.running.version, ...(this.error !== undefined ? { error: this.error } : {}) };
  }

  /** Takes a payload from the config topic; judged after the configs before it are done. */
  submit(payload: Buffer): void {
    if (this.stopped) return;
    this.queue = this.queue.then(() => this.handle(payload));
  }

  idle(): Promise<void> {
    return this.queue;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.queue;
  }

  private async handle(payload: Buffer): Promise<void> {
    if (this.stopped) return;
    const { logger } = this.options;
    const decision = judgeRemoteConfig(payload, this.running, this.options.profiles);
    if (decision.action === 'ignore') {
      logger.debug({ reason: decision.reason }, 'remote config ignored');
      return;
    }
    if (decision.action === 'refuse') {
      this.refuse(decision.reason);
      return;
    }
    const { config } = decision;
    try {
      await this.options.apply(config);
    } catch (err) {
      this.refuse(`config version ${config.version} refused: ${(err as Error).message}`);
      return;
    }
    const previous = this.running.version;
    this.running = runningFrom(config);
    this.error = undefined;
    try {
      this.options.store.save({ appliedAt: this.options.clock(), config });
    } catch (err) {
      // Running it is what matters now; say that a restart would go back.
      this.error = `config version ${config.version} applied but not saved (${(err as Error).message}): a restart returns to version ${previous}`;
      logger.error({ err: (err as Error).message, version: config.version }, 'remote config applied but not saved');
    }
    // Counts only: a config carries camera passwords.
    logger.info({ version: config.version, previous, devices: config.devices.length, cameras: config.cameras?.length ?? 'from file' }, 'remote config applied');
    this.options.onChange(this.state());
  }

  private refuse(reason: string): void {
    this.error = reason.slice(0, 2000);
    this.options.logger.warn({ reason, running: this.running.version }, 'remote config refused; the running config stays');
    this.options.onChange(this.state());
  }
}
