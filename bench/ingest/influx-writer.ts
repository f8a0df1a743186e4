// A tight InfluxDB 1.x writer: posts ready-made line-protocol bodies straight to
// /write with a fixed number of requests in flight, and times it. This measures
// influxd's own ingest ceiling on the machine, with as little client work as possible.
import http from 'node:http';
import { monotonicMs } from './clock.js';

export interface WriteTiming {
  startedAtMs: number;
  finishedAtMs: number;
}

function post(agent: http.Agent, url: URL, body: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'text/plain; charset=utf-8', 'content-length': body.length } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        if (response.statusCode === 204) resolve();
        else reject(new Error(`InfluxDB /write answered ${response.statusCode}: ${Buffer.concat(chunks).toString().slice(0, 500)}`));
      });
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}

/** Sends every body (each exactly once), `concurrency` requests at a time; resolves when all got 204. */
export async function postBodies(influxUrl: string, database: string, bodies: readonly Buffer[], concurrency: number): Promise<WriteTiming> {
  const url = new URL(`/write?${new URLSearchParams({ db: database, precision: 'ms' })}`, influxUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  let next = 0;
  const startedAtMs = monotonicMs();
  try {
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) await post(agent, url, bodies[next++]!);
    }));
  } finally {
    agent.destroy();
  }
  return { startedAtMs, finishedAtMs: monotonicMs() };
}
