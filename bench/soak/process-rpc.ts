// Typed calls between the soak runner and its child processes (broker, ingest,
// publishers), over Node's IPC channel. The parts run as processes of their own, as
// in production, so each has its own heap and resident set to sample. A child serves
// an object of async functions; the runner calls them by name. Every child also
// answers `memory` (its process.memoryUsage()). The calls themselves: bench/rpc-calls.ts,
// shared with bench/ingest/thread-rpc.ts, whose transport is a worker's message port.
import { fork, type ChildProcess } from 'node:child_process';
import { answerCalls, PendingCalls, type CallReply, type CallRequest, type Params, type Result } from '../rpc-calls.js';

export interface ProcessMemory {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  /** A full GC ran just before: heapUsed is the live heap. */
  collected: boolean;
}

/**
 * With `collect`, a full GC first (the child runs with --expose-gc): heap used is then
 * what is still referenced, the figure a leak moves, instead of a point on the GC sawtooth.
 */
function ownMemory(collect = false): ProcessMemory {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (collect && gc) gc();
  const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
  return { rss, heapUsed, heapTotal, external, collected: collect && gc !== undefined };
}

/** In a child: answers the runner's calls with `api`'s functions; exits when the runner goes away. */
export function serveProcessApi(api: object): void {
  if (!process.send) throw new Error('serveProcessApi must run in a process forked with an IPC channel');
  const handlers: Record<string, (...args: unknown[]) => unknown> = { memory: ownMemory as (...args: unknown[]) => unknown, ...(api as Record<string, (...args: unknown[]) => unknown>) };
  process.on('message', (request: CallRequest) => answerCalls(handlers, request, (reply) => { process.send?.(reply); }));
  // An orphaned child (the runner crashed or was killed) must not keep running.
  process.on('disconnect', () => process.exit(0));
}

/** The runner's end of a child process that serves `Api`. */
export class ProcessHandle<Api extends object> {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  private readonly calls: PendingCalls;

  constructor(script: string, readonly name: string) {
    // stdout is the runner's progress; the children's logs (pino, warnings only) go to stderr.
    // Own execArgv: not the runner's (vitest's loaders), plus --expose-gc for memory(true).
    this.child = fork(script, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced', execArgv: ['--expose-gc'] });
    this.calls = new PendingCalls(name, (request) => this.child.send(request));
    this.child.on('message', (reply: CallReply) => this.calls.settle(reply));
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.calls.failAll(new Error(`${this.name} process exited (${code ?? signal})`));
        resolve();
      });
      this.child.once('error', (err) => {
        this.calls.failAll(new Error(`${this.name} process failed: ${err.message}`));
        resolve();
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  call<K extends keyof Api & string>(command: K, ...args: Params<Api[K]>): Promise<Result<Api[K]>> {
    return this.calls.send(command, args) as Promise<Result<Api[K]>>;
  }

  /** Its memory now; after a full GC with `collect`. */
  memory(collect = false): Promise<ProcessMemory> {
    return this.calls.send('memory', [collect]) as Promise<ProcessMemory>;
  }

  /** SIGTERM by PID, SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    const { child } = this;
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
