// The connection guard as a table of cases over a fake clock.
import { describe, expect, it } from 'vitest';
import { ConnectionGuard, type ConnectionLimits } from './connection-guard.js';

const limits: ConnectionLimits = { connectRatePerIp: 10, connectBurstPerIp: 3, maxConnectionsPerIp: 4, maxConnections: 6 };

function guardAt(start = 0) {
  const clock = { now: start };
  return { clock, guard: new ConnectionGuard(limits, () => clock.now) };
}

describe('ConnectionGuard', () => {
  it('admits a burst, then refuses until the bucket refills at the rate', () => {
    const { clock, guard } = guardAt();
    const outcomes = () => guard.admit('10.0.0.1');
    expect([outcomes(), outcomes(), outcomes(), outcomes()]).toEqual([
      { admitted: true }, { admitted: true }, { admitted: true }, { admitted: false, reason: 'rate' },
    ]);
    clock.now += 99; // 0.99 tokens: not yet
    expect(guard.admit('10.0.0.1')).toEqual({ admitted: false, reason: 'rate' });
    clock.now += 2;
    expect(guard.admit('10.0.0.1')).toEqual({ admitted: true });
  });

  it('keeps source IPs apart', () => {
    const { guard } = guardAt();
    for (let i = 0; i < 3; i++) guard.admit('10.0.0.1');
    expect(guard.admit('10.0.0.1')).toEqual({ admitted: false, reason: 'rate' });
    expect(guard.admit('10.0.0.2')).toEqual({ admitted: true });
  });

  it('caps open connections per IP and in total, and frees a slot on release', () => {
    const { clock, guard } = guardAt();
    const take = (ip: string) => { clock.now += 1000; return guard.admit(ip); };
    for (let i = 0; i < 4; i++) expect(take('a')).toEqual({ admitted: true });
    expect(take('a')).toEqual({ admitted: false, reason: 'per-ip' });
    expect(take('b')).toEqual({ admitted: true });
    expect(take('b')).toEqual({ admitted: true });
    expect(take('c')).toEqual({ admitted: false, reason: 'total' });
    guard.release('a');
    expect(guard.openConnections).toBe(5);
    expect(take('c')).toEqual({ admitted: true });
  });

  it('forgets idle IPs whose bucket is full again', () => {
    const { clock, guard } = guardAt();
    for (let i = 0; i < 100; i++) {
      guard.admit(`10.0.${i}.1`);
      guard.release(`10.0.${i}.1`);
    }
    expect(guard.trackedIps).toBe(100);
    clock.now += 61_000;
    guard.admit('10.9.9.9');
    expect(guard.trackedIps).toBe(1);
  });
});
