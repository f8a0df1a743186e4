// A throwaway InfluxDB 1.x server per test run: every directory under a temp folder,
// HTTP and RPC bound to free loopback ports, reporting and self-monitoring off, quiet
// logs. Waits on /ping (polling, no fixed sleeps); stop/kill/restart act on its PID.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../lib/net.js';
import { delay } from '../../lib/wait.js';
import { requireTool } from './tools.js';

export interface InfluxdOptions {
  /** Turn on HTTP authentication (create the first admin user with CREATE USER ... WITH ALL PRIVILEGES). */
  authEnabled?: boolean;
  /** How long to wait for /ping after starting. Default 30 s. */
  startTimeoutMs?: number;
}

export interface InfluxdServer {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  /** Temp folder holding config, meta, data and wal. */
  readonly dir: string;
  /** PID of the running server, undefined while stopped. */
  readonly pid: number | undefined;
  /** SIGTERM, then wait for the process to exit (SIGKILL if it does not within 20 s). */
  stop(): Promise<void>;
  /** SIGKILL (a crash: no clean shutdown), then wait for the exit. */
  kill(): Promise<void>;
  /** Starts again on the same port and data directory; waits until /ping answers. */
  restart(): Promise<void>;
  /** Stops the server if running and deletes the temp folder. */
  cleanup(): Promise<void>;
  /** The server's recent output, for failure messages. */
  output(): string;
}

const OUTPUT_TAIL_CHARS = 8000;
const STOP_TIMEOUT_MS = 20_000;

/** Servers still running when the test process exits are killed, whatever happened to the test. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) {
    try {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

export function influxdConfig(dir: string, httpPort: number, rpcPort: number, authEnabled: boolean): string {
  const q = (text: string): string => JSON.stringify(text);
  return `reporting-enabled = false
bind-address = ${q(`127.0.0.1:${rpcPort}`)}

[meta]
  dir = ${q(path.join(dir, 'meta'))}
  logging-enabled = false

[data]
  dir = ${q(path.join(dir, 'data'))}
  wal-dir = ${q(path.join(dir, 'wal'))}
  query-log-enabled = false

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[continuous_queries]
  enabled = false
  log-enabled = false

[http]
  bind-address = ${q(`127.0.0.1:${httpPort}`)}
  auth-enabled = ${authEnabled}
  log-enabled = false
  pprof-enabled = false

[logging]
  level = "warn"
  suppress-logo = true
`;
}

interface Started {
  child: ChildProcess;
  exited: Promise<void>;
}

/** An environment without INFLUXDB_* variables, which would override the config file. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('INFLUXDB_')));
}

class Influxd implements InfluxdServer {
  #httpPort: number;
  #rpcPort: number;
  #current: Started | undefined;
  #output = '';

  constructor(
    readonly dir: string,
    private readonly binary: string,
    private readonly options: InfluxdOptions,
    ports: { http: number; rpc: number },
  ) {
    this.#httpPort = ports.http;
    this.#rpcPort = ports.rpc;
  }

  get port(): number {
    return this.#httpPort;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#httpPort}`;
  }

  get pid(): number | undefined {
    return this.#current?.child.pid;
  }

  output(): string {
    return this.#output;
  }

  usePorts(ports: { http: number; rpc: number }): void {
    this.#httpPort = ports.http;
    this.#rpcPort = ports.rpc;
  }

  async start(): Promise<void> {
    const configPath = path.join(this.dir, 'influxdb.conf');
    await fs.writeFile(configPath, influxdConfig(this.dir, this.#httpPort, this.#rpcPort, this.options.authEnabled ?? false));
    const child = spawn(this.binary, ['-config', configPath], { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv() });
    const keep = (chunk: Buffer | string): void => {
      this.#output = (this.#output + chunk.toString()).slice(-OUTPUT_TAIL_CHARS);
    };
    // A failed spawn emits 'error' and maybe never 'exit': either ends the process's life here.
    const exited = new Promise<void>((resolve) => {
      const gone = (): void => {
        running.delete(child);
        resolve();
      };
      child.once('exit', gone);
      child.once('error', (err) => {
        keep(`spawn error: ${err.message}\n`);
        gone();
      });
    });
    running.add(child);
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.#current = { child, exited };
    await this.#waitUntilReady(this.#current);
  }

  async #waitUntilReady(started: Started): Promise<void> {
    const timeoutMs = this.options.startTimeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    let hasExited = false;
    void started.exited.then(() => {
      hasExited = true;
    });
    for (;;) {
      if (hasExited) throw new Error(`influxd exited before answering /ping:\n${this.#output}`);
      try {
        const res = await fetch(`${this.url}/ping`, { signal: AbortSignal.timeout(1000) });
        if (res.status === 204) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await this.kill();
        throw new Error(`influxd did not answer /ping within ${timeoutMs} ms:\n${this.#output}`);
      }
      await delay(50);
    }
  }

  async #signal(signal: NodeJS.Signals, waitMs: number): Promise<boolean> {
    const current = this.#current;
    if (!current) return true;
    const { child, exited } = current;
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(child.pid, signal);
      } catch {
        // already gone
      }
    }
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([
      exited.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), waitMs);
      }),
    ]);
    clearTimeout(timer);
    if (done) this.#current = undefined;
    return done;
  }

  async stop(): Promise<void> {
    if (!(await this.#signal('SIGTERM', STOP_TIMEOUT_MS))) await this.kill();
  }

  async kill(): Promise<void> {
    if (!(await this.#signal('SIGKILL', STOP_TIMEOUT_MS))) throw new Error(`influxd (pid ${this.pid}) did not exit after SIGKILL`);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async cleanup(): Promise<void> {
    try {
      await this.stop();
    } finally {
      await fs.rm(this.dir, { recursive: true, force: true });
    }
  }
}

async function twoFreePorts(): Promise<{ http: number; rpc: number }> {
  const http = await freePort();
  let rpc = await freePort();
  while (rpc === http) rpc = await freePort();
  return { http, rpc };
}

/**
 * Starts influxd. Between choosing a free port and influxd binding it another process
 * may take it: then start again on new ports (a few times) instead of failing the run.
 */
export async function startInfluxd(options: InfluxdOptions = {}): Promise<InfluxdServer> {
  const binary = requireTool('influxd');
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sb-influxd-'));
  const server = new Influxd(dir, binary, options, await twoFreePorts());
  for (let attempt = 1; ; attempt++) {
    try {
      await server.start();
      return server;
    } catch (err) {
      const portTaken = /address already in use/i.test(server.output());
      if (!portTaken || attempt >= 3) {
        await server.cleanup();
        throw err;
      }
      server.usePorts(await twoFreePorts());
    }
  }
}
