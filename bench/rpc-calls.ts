// The call/reply protocol both benchmark harnesses speak with their parts — worker threads in
// bench/ingest (thread-rpc.ts), child processes in bench/soak (process-rpc.ts): a part serves an
// object of (async) functions, the runner calls them by name and gets each result or error
// back. Only the transport differs, so it is passed in.

export type Params<F> = F extends (...args: infer P) => unknown ? P : never;
export type Result<F> = F extends (...args: never[]) => infer R ? Awaited<R> : never;

export interface CallRequest { id: number; command: string; args: unknown[] }
export type CallReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; message: string; stack?: string };

type Handler = (...args: unknown[]) => unknown;

/** In a part: answers each request with `handlers`' function of that name (or an error). */
export function answerCalls(handlers: Record<string, Handler>, request: CallRequest, reply: (message: CallReply) => void): void {
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
}

/** The runner's side: numbered calls awaiting replies; once the part is gone every call fails. */
export class PendingCalls {
  readonly #pending = new Map<number, { resolve(value: unknown): void; reject(err: Error): void }>();
  #nextId = 1;
  #failure: Error | undefined;

  constructor(private readonly name: string, private readonly post: (request: CallRequest) => void) {}

  send(command: string, args: unknown[]): Promise<unknown> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.post({ id, command, args });
    });
  }

  settle(reply: CallReply): void {
    const call = this.#pending.get(reply.id);
    if (!call) return;
    this.#pending.delete(reply.id);
    if (reply.ok) call.resolve(reply.value);
    else call.reject(Object.assign(new Error(`${this.name}: ${reply.message}`), reply.stack ? { stack: reply.stack } : {}));
  }

  failAll(err: Error): void {
    this.#failure ??= err;
    for (const call of this.#pending.values()) call.reject(err);
    this.#pending.clear();
  }
}
