// Typed request/response calls between the benchmark's main thread and its worker
// threads (broker, consumer, publishers), over the worker's message port. A worker
// serves an object of async functions; the main thread calls them by name. Every
// worker also answers `osThreadId`, so its CPU time can be read from /proc.
import { Worker, parentPort } from 'node:worker_threads';
import { currentOsThreadId } from './cpu-usage.js';

type Params<F> = F extends (...args: infer P) => unknown ? P : never;
type Result<F> = F extends (...args: never[]) => infer R ? Awaited<R> : never;

interface Request { id: number; command: string; args: unknown[] }
type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; message: string; stack?: string };

/** In a worker: answers the main thread's calls with `api`'s functions. */
export function serveThreadApi(api: object): void {
  const port = parentPort;
  if (!port) throw new Error('serveThreadApi must run in a worker thread');
  const handlers: Record<string, (...args: unknown[]) => unknown> = { osThreadId: currentOsThreadId, ...(api as Record<string, (...args: unknown[]) => unknown>) };
  port.on('message', (request: Request) => {
    const reply = (message: Reply): void => port.postMessage(message);
    const handler = handlers[request.command];
    if (typeof handler !== 'function') {
      reply({ id: request.id, ok: false, message: `unknown command "${request.command}"` });
      return;
    }
    Promise.resolve()
      .then(() => handler(...request.args))
      .then(
        (value) => reply({ id: request.id, ok: true, value }),
        (err: unknown) => reply({ id: request.id, ok: false, message: err instanceof Error ? err.message : String(err), stack: err instanceof Error ? err.stack : undefined }),
      );
  });
}

/** The main thread's end of a worker that serves `Api`. */
export class ThreadHandle<Api extends object> {
  readonly worker: Worker;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(err: Error): void }>();
  private nextId = 1;
  private failure: Error | undefined;

  constructor(module: URL, readonly name: string) {
    this.worker = new Worker(module);
    this.worker.on('message', (reply: Reply) => {
      const call = this.pending.get(reply.id);
      if (!call) return;
      this.pending.delete(reply.id);
      if (reply.ok) call.resolve(reply.value);
      else call.reject(Object.assign(new Error(`${this.name}: ${reply.message}`), { stack: reply.stack }));
    });
    this.worker.on('error', (err) => this.failAll(new Error(`${this.name} thread crashed: ${err.message}`, { cause: err })));
    this.worker.on('exit', (code) => this.failAll(new Error(`${this.name} thread exited (code ${code})`)));
  }

  call<K extends keyof Api & string>(command: K, ...args: Params<Api[K]>): Promise<Result<Api[K]>> {
    return this.send(command, args) as Promise<Result<Api[K]>>;
  }

  /** The worker's OS thread id (for its CPU time in /proc/<pid>/task/<tid>/stat). */
  osThreadId(): Promise<number | undefined> {
    return this.send('osThreadId', []) as Promise<number | undefined>;
  }

  /** Ends the thread (after its own close command, if it has one). */
  async terminate(): Promise<void> {
    await this.worker.terminate();
  }

  private send(command: string, args: unknown[]): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, command, args } satisfies Request);
    });
  }

  private failAll(err: Error): void {
    this.failure ??= err;
    for (const call of this.pending.values()) call.reject(err);
    this.pending.clear();
  }
}
