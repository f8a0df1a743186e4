// Messages between the bench runner and its child processes (node IPC, JSON). A child is
// forked with its settings as JSON in argv[2]; it answers `ready` once running, `stats` on
// request, and exits after `stop`.
import { fork, type ChildProcess } from 'node:child_process';

export type ToChild = { type: 'stats' } | { type: 'stop' };
export type FromChild = { type: 'ready'; data: unknown } | { type: 'stats'; data: unknown } | { type: 'error'; message: string };

export interface Child {
  process: ChildProcess;
  pid: number;
  ready: unknown;
  request<T>(message: ToChild): Promise<T>;
  stop(): Promise<void>;
}

function next(child: ChildProcess, type: FromChild['type']): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: FromChild) => {
      if (message.type === 'error') finish(() => reject(new Error(message.message)));
      else if (message.type === type) finish(() => resolve(message.data));
    };
    const onExit = (code: number | null) => finish(() => reject(new Error(`child exited (${code}) before answering ${type}`)));
    const finish = (settle: () => void) => {
      child.off('message', onMessage);
      child.off('exit', onExit);
      settle();
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

export async function startChild(script: string, settings: unknown): Promise<Child> {
  const child = fork(script, [JSON.stringify(settings)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = await next(child, 'ready');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    process: child,
    pid: child.pid!,
    ready,
    request: async <T>(message: ToChild) => {
      const answer = next(child, 'stats');
      child.send(message);
      return (await answer) as T;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.send({ type: 'stop' } satisfies ToChild);
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/** In a child: answer the runner. */
export function reply(message: FromChild): void {
  process.send?.(message);
}
