// Process-wide pino logger factory. Services log JSON to stdout; anything that
// looks like a secret is redacted before it leaves the process: passwords, tokens, secrets,
// Authorization and Cookie headers (also inside a logged request), camera credentials and
// stream addresses (an RTSP URI may carry user:password@), private keys.
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/** Keys whose values never reach a log, at the top level and nested up to three levels. */
const SECRET_KEYS = [
  'password', 'passwordHash', 'token', 'apiToken', 'accessToken', 'secret', 'authorization', 'cookie',
  'credentials', 'privateKey', 'passphrase', 'streamUri',
];

export const REDACT_PATHS = [
  ...SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`, `*.*.*.${key}`]),
  // Requests and responses as Fastify and pino serialise them.
  'req.headers.authorization', 'req.headers.cookie', 'req.headers["proxy-authorization"]', 'headers["proxy-authorization"]',
  'res.headers["set-cookie"]', '*.headers["set-cookie"]',
  // Arrays of tokens and cameras (config dumps).
  'tokens[*].sha256', '*.tokens[*].sha256', 'cameras[*].password', '*.cameras[*].password', 'cameras[*].username', '*.cameras[*].username',
];

export const REDACT_CENSOR = '[redacted]';

export function createLogger(name: string, options: LoggerOptions = {}, destination?: DestinationStream): Logger {
  const settings: LoggerOptions = {
    name,
    level: process.env.SB_LOG_LEVEL ?? 'info',
    ...options,
    redact: { paths: REDACT_PATHS, censor: REDACT_CENSOR },
  };
  return destination ? pino(settings, destination) : pino(settings);
}

/** A logger that drops everything: for tests and benchmarks that assert on behaviour, not logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
