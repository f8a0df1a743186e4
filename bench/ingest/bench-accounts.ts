// Broker accounts for the benchmark: one gateway account per simulated gateway and
// the ingest service account, with random passwords that live only in this process.
import crypto from 'node:crypto';
import { hashPassword, type Account, type ScryptParams } from '../../broker/index.js';
import type { GatewayLogin } from './load-thread.js';
import type { BenchGateway } from './synthetic-telemetry.js';

/**
 * Cheaper than the production default (N=2^14): CONNECT is not what we measure, and
 * 40+ CONNECTs per scenario at ~90 ms of scrypt each would only lengthen the run.
 */
const BENCH_SCRYPT: ScryptParams = { N: 2 ** 10, r: 8, p: 1 };

export interface BenchAccounts {
  accounts: Account[];
  gateways: GatewayLogin[];
  ingest: { username: string; password: string };
}

const randomPassword = (): string => crypto.randomBytes(18).toString('base64url');

export async function makeBenchAccounts(gateways: readonly BenchGateway[]): Promise<BenchAccounts> {
  const ingest = { username: 'ingest', password: randomPassword() };
  const accounts: Account[] = [{ role: 'ingest', username: ingest.username, passwordHash: await hashPassword(ingest.password, BENCH_SCRYPT) }];
  const logins: GatewayLogin[] = [];
  for (const gw of gateways) {
    const password = randomPassword();
    accounts.push({ role: 'gateway', username: gw.username, site: gw.site, gateway: gw.gateway, passwordHash: await hashPassword(password, BENCH_SCRYPT) });
    logins.push({ ...gw, password });
  }
  return { accounts, gateways: logins, ingest };
}
