// One HTTP exchange with a camera, bounded in time and size: a deadline for the whole exchange
// (not only socket idleness: a camera that trickles bytes must not hold a snapshot forever) and
// a cap on the body, checked on Content-Length and again while streaming, so an oversized or
// endless answer is cut off instead of filling the gateway's memory.
import http from 'node:http';
import https from 'node:https';
import { CameraError } from './errors.js';

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface HttpRequestOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  maxBytes: number;
  /** What the body is, for the size error ("image", "SOAP answer"). */
  what?: string;
  signal?: AbortSignal;
}

export function httpRequest(url: string, options: HttpRequestOptions): Promise<HttpResponse> {
  return new Promise<HttpResponse>((resolve, reject) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      reject(new CameraError('protocol', `invalid URL "${url}"`));
      return;
    }
    const what = options.what ?? 'answer';
    const lib = target.protocol === 'https:' ? https : http;
    let settled = false;
    const finish = (error: Error | undefined, response?: HttpResponse): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (error) {
        request.destroy();
        reject(error);
      } else {
        resolve(response!);
      }
    };
    const onAbort = (): void => finish(new CameraError('unreachable', 'request cancelled'));
    const request = lib.request(target, {
      method: options.method ?? 'GET',
      headers: options.body !== undefined ? { ...options.headers, 'Content-Length': String(Buffer.byteLength(options.body)) } : options.headers,
      // Cameras' embedded web servers are not always strict about HTTP; be lenient on parsing.
      insecureHTTPParser: true,
      // Self-signed certificates are the norm on cameras; the LAN between gateway and camera is ours.
      ...(target.protocol === 'https:' ? { rejectUnauthorized: false } : {}),
      agent: false,
    });
    const timer = setTimeout(() => finish(new CameraError('unreachable', `no complete answer within ${options.timeoutMs} ms`)), options.timeoutMs);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort();
    request.on('error', (err) => finish(err));
    request.on('response', (response) => {
      const declared = Number(response.headers['content-length']);
      if (Number.isFinite(declared) && declared > options.maxBytes) {
        finish(new CameraError('protocol', `${what} of ${declared} bytes exceeds the limit of ${options.maxBytes} bytes`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > options.maxBytes) {
          finish(new CameraError('protocol', `${what} exceeds the limit of ${options.maxBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      response.on('error', (err) => finish(err));
      response.on('aborted', () => finish(new CameraError('unreachable', 'the camera closed the connection mid-answer')));
      response.on('end', () => finish(undefined, { status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
    });
    request.end(options.body);
  });
}
