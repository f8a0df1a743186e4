// The TCP proxy harness against an echo server: forwards both ways, cuts and restores the
// link (reset and stall), and adds its delay per direction.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeServer, listen } from '../../lib/net.js';
import { waitFor } from '../../lib/wait.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

let echo: net.Server;
let echoPort: number;
const echoSockets = new Set<net.Socket>();

beforeAll(async () => {
  echo = net.createServer((socket) => {
    echoSockets.add(socket);
    socket.on('close', () => echoSockets.delete(socket));
    socket.on('error', () => undefined);
    socket.pipe(socket);
  });
  echoPort = await listen(echo, 0);
});
afterAll(async () => {
  for (const socket of echoSockets) socket.destroy();
  await closeServer(echo);
});

interface Client {
  socket: net.Socket;
  received(): string;
  closed(): boolean;
  error(): string | undefined;
}

async function connect(proxy: TcpProxy): Promise<Client> {
  const socket = net.connect({ host: proxy.host, port: proxy.port });
  let data = '';
  let closed = false;
  let error: string | undefined;
  socket.on('data', (chunk: Buffer) => { data += chunk.toString(); });
  socket.on('close', () => { closed = true; });
  socket.on('error', (err: NodeJS.ErrnoException) => { error = err.code ?? err.message; });
  // A reset can beat the 'connect' event to the client: either ends the wait.
  await new Promise<void>((resolve) => {
    socket.once('connect', () => resolve());
    socket.once('close', () => resolve());
  });
  return { socket, received: () => data, closed: () => closed, error: () => error };
}

/** Sends `text` and resolves with the round-trip time once the echo is back. */
async function roundTrip(client: Client, text: string): Promise<number> {
  const before = client.received().length;
  const started = performance.now();
  client.socket.write(text);
  await waitFor(() => client.received().length >= before + text.length, { intervalMs: 1, what: `the echo of "${text}"` });
  return performance.now() - started;
}

describe('TCP proxy', () => {
  it('forwards both ways and counts the bytes', async () => {
    const proxy = await startTcpProxy({ target: { port: echoPort } });
    try {
      const client = await connect(proxy);
      await roundTrip(client, 'hello');
      expect(client.received()).toBe('hello');
      expect(proxy.bytes).toEqual({ toTarget: 5, fromTarget: 5 });
      expect(proxy.openConnections).toBe(1);
      client.socket.destroy();
    } finally {
      await proxy.close();
    }
  });

  it('cut resets open connections and refuses new ones until restored', async () => {
    const proxy = await startTcpProxy({ target: { port: echoPort } });
    try {
      const client = await connect(proxy);
      proxy.cut();
      await waitFor(() => client.closed(), { what: 'the client connection to close' });
      expect(client.error()).toBe('ECONNRESET');
      const refused = await connect(proxy);
      await waitFor(() => refused.closed(), { what: 'a new connection to be reset' });
      expect(proxy.cutMode).toBe('reset');

      proxy.restore();
      const again = await connect(proxy);
      await roundTrip(again, 'back');
      expect(again.received()).toBe('back');
      again.socket.destroy();
    } finally {
      await proxy.close();
    }
  });

  it('stall holds bytes (and new connections) until restored, then delivers them', async () => {
    const proxy = await startTcpProxy({ target: { port: echoPort } });
    try {
      const client = await connect(proxy);
      proxy.cut('stall');
      client.socket.write('held');
      const late = await connect(proxy);
      late.socket.write('late');
      // Nothing comes back while stalled: check after the bytes have certainly reached the proxy.
      await waitFor(() => proxy.bytes.toTarget === 0 && proxy.accepted === 2, { what: 'both connections accepted' });
      expect(client.received()).toBe('');
      proxy.restore();
      await waitFor(() => client.received() === 'held' && late.received() === 'late', { what: 'the held bytes echoed' });
      expect(client.closed()).toBe(false);
      client.socket.destroy();
      late.socket.destroy();
    } finally {
      await proxy.close();
    }
  });

  it('adds the configured delay in each direction', async () => {
    const proxy = await startTcpProxy({ target: { port: echoPort }, delay: { toTargetMs: 30, fromTargetMs: 20 } });
    try {
      const client = await connect(proxy);
      const rtt = await roundTrip(client, 'ping');
      expect(rtt).toBeGreaterThanOrEqual(49);
      proxy.setDelay({ toTargetMs: 0, fromTargetMs: 0 });
      expect(await roundTrip(client, 'pong')).toBeLessThan(rtt);
      client.socket.destroy();
    } finally {
      await proxy.close();
    }
  });
});
