// A TCP proxy on loopback for tests and benchmarks: forwards every connection to a target,
// and plays a bad uplink on demand — cut the link (reset every connection and refuse new
// ones, like a 4G modem losing its carrier), stall it (bytes stop moving until restored, as
// when a route blackholes), and add a one-way delay per direction (40 ms round trip = 20 ms
// each way). The machine's own network settings are never touched.
import net from 'node:net';
import { listen } from '../../lib/net.js';

export interface ProxyDelay {
  /** Added to every chunk going from the client to the target, ms. */
  toTargetMs: number;
  /** Added to every chunk coming back, ms. */
  fromTargetMs: number;
}

export interface TcpProxyOptions {
  target: { host?: string; port: number };
  /** Listening port; 0 (default) picks a free one. */
  port?: number;
  delay?: Partial<ProxyDelay>;
}

/**
 * `reset`: open connections are reset and new ones are accepted and reset at once (the
 * client sees ECONNRESET straight away). `stall`: open connections stop moving bytes and new
 * ones are held unanswered; a client notices only by its own timeouts (MQTT keepalive).
 */
export type CutMode = 'reset' | 'stall';

export interface TcpProxy {
  readonly host: string;
  readonly port: number;
  /** undefined while the link is up. */
  readonly cutMode: CutMode | undefined;
  /** Connections open through the proxy now. */
  readonly openConnections: number;
  /** Connections accepted since the start (including refused ones). */
  readonly accepted: number;
  /** Bytes forwarded each way. */
  readonly bytes: { toTarget: number; fromTarget: number };
  cut(mode?: CutMode): void;
  /** Brings the link back: stalled bytes flow again (late, as after a TCP retransmit), new connections go through. */
  restore(): void;
  setDelay(delay: Partial<ProxyDelay>): void;
  close(): Promise<void>;
}

/** Delivers chunks to `dest` in order, each `delayMs()` after it arrived; holds them while `held`. */
class DelayLine {
  private readonly queue: Array<{ due: number; chunk: Buffer }> = [];
  private timer: NodeJS.Timeout | undefined;
  private held = false;

  constructor(private readonly dest: net.Socket, private readonly delayMs: () => number, private readonly onWrite: (bytes: number) => void) {}

  push(chunk: Buffer): void {
    this.queue.push({ due: performance.now() + this.delayMs(), chunk });
    this.deliver();
  }

  hold(held: boolean): void {
    this.held = held;
    if (held) {
      clearTimeout(this.timer);
      this.timer = undefined;
    } else {
      this.deliver();
    }
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }

  private deliver(): void {
    if (this.held || this.timer) return;
    const now = performance.now();
    while (this.queue.length > 0 && this.queue[0]!.due <= now) {
      const { chunk } = this.queue.shift()!;
      if (this.dest.destroyed) return;
      this.dest.write(chunk);
      this.onWrite(chunk.length);
    }
    if (this.queue.length > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.deliver();
      }, Math.max(0, this.queue[0]!.due - now));
    }
  }
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket | undefined;
  toTarget: DelayLine | undefined;
  fromTarget: DelayLine | undefined;
}

export async function startTcpProxy(options: TcpProxyOptions): Promise<TcpProxy> {
  const targetHost = options.target.host ?? '127.0.0.1';
  const delay: ProxyDelay = { toTargetMs: options.delay?.toTargetMs ?? 0, fromTargetMs: options.delay?.fromTargetMs ?? 0 };
  const pairs = new Set<Pair>();
  /** Connections that arrived while stalled: opened upstream on restore. */
  const waiting = new Set<net.Socket>();
  const bytes = { toTarget: 0, fromTarget: 0 };
  let cutMode: CutMode | undefined;
  let accepted = 0;

  const drop = (pair: Pair): void => {
    if (!pairs.delete(pair)) return;
    pair.toTarget?.stop();
    pair.fromTarget?.stop();
    pair.client.destroy();
    pair.upstream?.destroy();
  };

  const forward = (client: net.Socket): void => {
    const upstream = net.connect({ host: targetHost, port: options.target.port });
    upstream.setNoDelay(true);
    const pair: Pair = { client, upstream, toTarget: undefined, fromTarget: undefined };
    pair.toTarget = new DelayLine(upstream, () => delay.toTargetMs, (n) => { bytes.toTarget += n; });
    pair.fromTarget = new DelayLine(client, () => delay.fromTargetMs, (n) => { bytes.fromTarget += n; });
    pairs.add(pair);
    client.on('data', (chunk: Buffer) => pair.toTarget!.push(chunk));
    upstream.on('data', (chunk: Buffer) => pair.fromTarget!.push(chunk));
    for (const socket of [client, upstream]) {
      socket.on('error', () => drop(pair));
      socket.on('close', () => drop(pair));
    }
  };

  const server = net.createServer((client) => {
    accepted++;
    client.setNoDelay(true);
    if (cutMode === 'reset') {
      client.on('error', () => undefined);
      client.resetAndDestroy();
      return;
    }
    if (cutMode === 'stall') {
      waiting.add(client);
      client.pause(); // its bytes stay in the socket until restore
      client.on('error', () => waiting.delete(client));
      client.on('close', () => waiting.delete(client));
      return;
    }
    forward(client);
  });
  const port = await listen(server, options.port ?? 0);

  return {
    host: '127.0.0.1',
    port,
    get cutMode() { return cutMode; },
    get openConnections() { return pairs.size; },
    get accepted() { return accepted; },
    get bytes() { return { ...bytes }; },
    cut(mode: CutMode = 'reset') {
      cutMode = mode;
      for (const pair of [...pairs]) {
        if (mode === 'reset') {
          pair.client.on('error', () => undefined);
          pair.client.resetAndDestroy();
          drop(pair);
        } else {
          pair.toTarget?.hold(true);
          pair.fromTarget?.hold(true);
        }
      }
    },
    restore() {
      cutMode = undefined;
      for (const pair of pairs) {
        pair.toTarget?.hold(false);
        pair.fromTarget?.hold(false);
      }
      for (const client of [...waiting]) {
        waiting.delete(client);
        forward(client);
        client.resume();
      }
    },
    setDelay(next) {
      if (next.toTargetMs !== undefined) delay.toTargetMs = next.toTargetMs;
      if (next.fromTargetMs !== undefined) delay.fromTargetMs = next.fromTargetMs;
    },
    async close() {
      for (const pair of [...pairs]) drop(pair);
      for (const client of waiting) client.destroy();
      waiting.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
