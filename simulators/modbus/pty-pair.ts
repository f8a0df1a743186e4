// A virtual serial cable: `socat pty,raw,echo=0,link=A pty,raw,echo=0,link=B` makes two
// pseudo-terminals whose bytes cross over, so a simulated RS-485 slave on one end and the
// gateway's RTU client on the other talk as over a real line (minus the baud-rate timing).
// Used by tests and `shaobing sim modbus --pty`. The socat process is ours: killed by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { delay } from '../../lib/wait.js';

export interface PtyPair {
  /** The end to give the gateway (or `shaobing modbus read --url rtu://…`). */
  readonly gatewayPath: string;
  /** The end the simulated slaves listen on. */
  readonly devicePath: string;
  readonly pid: number;
  /** Kills socat (SIGTERM, then SIGKILL) and removes the links. Idempotent. */
  close(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startPtyPair(options: { socat?: string; dir?: string; timeoutMs?: number } = {}): Promise<PtyPair> {
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'sb-pty-'));
  fs.mkdirSync(dir, { recursive: true });
  const ownDir = options.dir === undefined;
  const gatewayPath = path.join(dir, 'gateway');
  const devicePath = path.join(dir, 'device');
  const child = spawn(options.socat ?? 'socat', [`pty,raw,echo=0,link=${gatewayPath}`, `pty,raw,echo=0,link=${devicePath}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const stopped = await Promise.race([exited(child).then(() => true), delay(2000).then(() => false)]);
        if (!stopped) child.kill('SIGKILL');
        await exited(child);
      }
      // socat removes its links when it exits cleanly; after a SIGKILL they would dangle.
      for (const link of [gatewayPath, devicePath]) fs.rmSync(link, { force: true });
      if (ownDir) fs.rmSync(dir, { recursive: true, force: true });
    })());

  const deadline = Date.now() + (options.timeoutMs ?? 5000);
  for (;;) {
    const failed = await Promise.race([spawnError, delay(10).then(() => undefined)]);
    if (failed) {
      await close();
      const missing = (failed as NodeJS.ErrnoException).code === 'ENOENT';
      throw new Error(missing ? 'socat not found: install it (apt-get install -y socat) to make a virtual serial line' : `cannot start socat: ${failed.message}`);
    }
    if (fs.existsSync(gatewayPath) && fs.existsSync(devicePath)) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      await close();
      throw new Error(`socat did not create the pty pair: ${stderr.trim() || `exit ${child.exitCode ?? 'pending'}`}`);
    }
  }
  return { gatewayPath, devicePath, pid: child.pid!, close };
}
