// A wrapper around the client library's transport, so the library's WriteApi and our
// InfluxQL reads share one connection setup: it adds the Authorization header, bounds
// every request's total time, and (for InfluxDB < 1.8) sends v2 writes to /write.
import type { CommunicationObserver, ResponseStartedFn, SendOptions, Transport } from '@influxdata/influxdb-client';
import { mapWritePathToV1 } from './write-path.js';

export interface TransportAdapterOptions {
  /** Rewrite /api/v2/write to /write (InfluxDB 1.x before 1.8). */
  useV1WriteEndpoint: boolean;
  authorization?: string;
  /** Total time a request may take, connect to last byte. */
  timeoutMs: number;
}

export function adaptTransport(base: Transport, options: TransportAdapterOptions): Transport {
  const adaptPath = (path: string): string => (options.useV1WriteEndpoint ? mapWritePathToV1(path) : path);
  const adaptOptions = (sendOptions: SendOptions): SendOptions => ({
    ...sendOptions,
    headers: {
      ...sendOptions.headers,
      ...(options.authorization ? { authorization: options.authorization } : {}),
    },
    // The library's own `timeout` only limits socket inactivity and leaves the request
    // open; aborting destroys it, so a hung server cannot pile up sockets.
    signal: sendOptions.signal ?? AbortSignal.timeout(options.timeoutMs),
  });
  return {
    chunkCombiner: base.chunkCombiner,
    send(path: string, body: string, sendOptions: SendOptions, callbacks?: Partial<CommunicationObserver<Uint8Array>>): void {
      let mapped: string;
      try {
        mapped = adaptPath(path);
      } catch (err) {
        callbacks?.error?.(err as Error);
        return;
      }
      base.send(mapped, body, adaptOptions(sendOptions), callbacks);
    },
    async request(path: string, body: unknown, sendOptions: SendOptions, responseStarted?: ResponseStartedFn): Promise<unknown> {
      return base.request(adaptPath(path), body, adaptOptions(sendOptions), responseStarted);
    },
    iterate(path: string, body: unknown, sendOptions: SendOptions): AsyncIterableIterator<Uint8Array> {
      return base.iterate(adaptPath(path), body, adaptOptions(sendOptions));
    },
  };
}
