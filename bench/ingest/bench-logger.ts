// The services' logger inside the benchmark: warnings and errors only (a failing
// write or a refused connection must show), on stderr so they do not garble the
// progress lines on stdout.
import { pino } from 'pino';
import type { Logger } from '../../lib/logger.js';

export function benchLogger(service: string): Logger {
  return pino({ name: `bench-${service}`, level: process.env.SB_LOG_LEVEL ?? 'warn' }, pino.destination({ fd: 2, sync: true }));
}
