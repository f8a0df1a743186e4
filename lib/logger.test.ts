// Secrets never reach a log line: a real request with a bearer token logged through the API
// logger, configuration dumps with passwords and tokens, camera credentials and stream URIs.
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk: Buffer, _encoding, done) { lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)); done(); } });
  return { lines, logger: createLogger('test', { level: 'debug' }, stream) };
}

const TOKEN = 'sbt_Zm9vYmFyLXNlY3JldC10b2tlbi1vZi10aGUtdGVzdA';

describe('log redaction', () => {
  it('keeps the Authorization header of a logged request out of the log', async () => {
    const { lines, logger } = capture();
    const app = Fastify({ loggerInstance: logger });
    app.get('/v1/readings/latest', async (request) => {
      // What a handler or an error path might log: the whole request, or its headers.
      request.log.info({ request: { method: request.method, url: request.url, headers: request.headers } }, 'request seen');
      request.log.info({ headers: request.headers }, 'headers seen');
      return { ok: true };
    });
    const response = await app.inject({ url: '/v1/readings/latest', headers: { authorization: `Bearer ${TOKEN}`, cookie: 'session=abc123' } });
    expect(response.statusCode).toBe(200);
    await app.close();
    const seen = lines.filter((l) => l.includes('seen'));
    expect(seen).toHaveLength(2);
    for (const line of lines) {
      expect(line).not.toContain(TOKEN);
      expect(line).not.toContain('abc123');
    }
    expect(JSON.parse(seen[0]!).request.headers.authorization).toBe('[redacted]');
    expect(JSON.parse(seen[1]!).headers).toMatchObject({ authorization: '[redacted]', cookie: '[redacted]' });
  });

  it('redacts passwords, tokens, keys, camera credentials and stream addresses in logged objects', () => {
    const { lines, logger } = capture();
    logger.info({
      mqtt: { url: 'mqtt://127.0.0.1:1883', username: 'api', password: 'mqtt-pass-1' },
      store: { kind: 'influx', token: 'influx-token-2' },
      api: { tokens: [{ name: 'duty-officer', role: 'emergency', sha256: 'a'.repeat(64) }] },
      gateway: { cameras: [{ id: 'cam-1', username: 'onvif-user-3', password: 'onvif-pass-4' }] },
      camera: { health: { streamUri: 'rtsp://onvif-user-3:onvif-pass-4@192.0.2.21/live' } },
      tls: { privateKey: '-----BEGIN PRIVATE KEY-----5', passphrase: 'pem-pass-6' },
      apiToken: TOKEN, secret: 'secret-7',
    }, 'config loaded');
    const line = lines.join('\n');
    for (const secret of ['mqtt-pass-1', 'influx-token-2', 'a'.repeat(64), 'onvif-user-3', 'onvif-pass-4', 'PRIVATE KEY', 'pem-pass-6', TOKEN, 'secret-7']) {
      expect(line).not.toContain(secret);
    }
    expect(line).toContain('"duty-officer"');
    expect(line).toContain('[redacted]');
  });
});
