// Typed request/response calls between the benchmark's main thread and its worker
// threads (broker, consumer, publishers), over the worker's message port. A worker
// serves an object of async functions; the main thread calls them by name. Every
// worker also answers `osThreadId`, so its CPU time can be read from /proc.
import { Worker, parentPort } from 'node:worker_threads';
import { answerCalls, PendingCalls, type CallReply, type CallRequest, type Params, type Result } from '../rpc-calls.js';
import { currentOsThreadId } from './cpu-usage.js';

/** In a worker: answers the main thread's calls with `api`'s functions. */
export function serveThreadApi(api: object): void {
  const port = parentPort;
  if (!port) throw new Error('serveThreadApi must run in a worker thread');
  const handlers: Record<string, (...args: unknown[]) => unknown> = { osThreadId: currentOsThreadId, ...(api as Record<string, (...args: unknown[]) => unknown>) };
  port.on('message', (request: CallRequest) => answerCalls(handlers, request, (reply) => port.postMessage(reply)));
}

/** The main thread's end of a worker that serves `Api`. */
export class ThreadHandle<Api extends object> {
  readonly worker: Worker;
  private readonly calls: PendingCalls;

  constructor(module: URL, readonly name: string) {
    this.worker = new Worker(module);
    this.calls = new PendingCalls(name, (request) => this.worker.postMessage(request));
    this.worker.on('message', (reply: CallReply) => this.calls.settle(reply));
    this.worker.on('error', (err) => this.calls.failAll(new Error(`${this.name} thread crashed: ${err.message}`, { cause: err })));
    this.worker.on('exit', (code) => this.calls.failAll(new Error(`${this.name} thread exited (code ${code})`)));
  }

  call<K extends keyof Api & string>(command: K, ...args: Params<Api[K]>): Promise<Result<Api[K]>> {
    return this.calls.send(command, args) as Promise<Result<Api[K]>>;
  }

  /** The worker's OS thread id (for its CPU time in /proc/<pid>/task/<tid>/stat). */
  osThreadId(): Promise<number | undefined> {
    return this.calls.send('osThreadId', []) as Promise<number | undefined>;
  }

  /** Ends the thread (after its own close command, if it has one). */
  async terminate(): Promise<void> {
    await this.worker.terminate();
  }
}
