// Running commands against a scripted acquisition: one at a time in order, results with the
// command id and duration, duplicates ignored (also after a restart), cameras refused.
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/logger.js';
import { commandResultDataSchema, eventSchema, type GatewayEvent } from '../protocol/index.js';
import { CommandLedger } from './command-ledger.js';
import { CommandRunner, NO_CAMERAS } from './command-runner.js';
import { openGatewayDatabase } from './local-db.js';

const NOW = Date.UTC(2026, 0, 16, 5, 0, 0);
const write = (id: string, value: number | boolean, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ v: 1, id, ts: NOW - 1000, type: 'write', device: 'siren-1', point: 'siren', value, ...extra });

function setup(db = openGatewayDatabase(':memory:', { synchronous: 'normal' })) {
  const writes: Array<[string, string, number | boolean]> = [];
  const results: Array<{ device: string; event: GatewayEvent }> = [];
  let release: (() => void) | undefined;
  const runner = new CommandRunner({
    gatewayId: 'gw-1',
    acquisition: {
      write: async (device, point, value) => {
        if (device !== 'siren-1') throw new Error(`no device "${device}" on this gateway`);
        if (point === 'slow') await new Promise<void>((resolve) => { release = resolve; });
        writes.push([device, point, value]);
      },
    },
    ledger: new CommandLedger(db), clock: () => NOW, maxAgeMs: 60_000, logger: silentLogger(),
    report: (device, event) => results.push({ device, event: eventSchema.parse(event) }),
  });
  const data = () => results.map((r) => commandResultDataSchema.parse(r.event.data));
  return { db, runner, writes, results, data, release: () => release?.() };
}

describe('CommandRunner', () => {
  it('writes, in arrival order, and answers each command with its id', async () => {
    const { runner, writes, results, data } = setup();
    runner.submit(write('c-1', true));
    runner.submit(write('c-2', false));
    await runner.idle();
    expect(writes).toEqual([['siren-1', 'siren', true], ['siren-1', 'siren', false]]);
    expect(results.map((r) => r.device)).toEqual(['siren-1', 'siren-1']);
    expect(data()).toEqual([
      expect.objectContaining({ id: 'c-1', command: 'write', ok: true, durationMs: expect.any(Number) }),
      expect.objectContaining({ id: 'c-2', command: 'write', ok: true }),
    ]);
  });

  it('ignores a command id it has taken before, also after a restart', async () => {
    const first = setup();
    first.runner.submit(write('c-1', true));
    first.runner.submit(write('c-1', true));
    await first.runner.idle();
    expect(first.writes).toHaveLength(1);
    const second = setup(first.db); // same database, new process
    second.runner.submit(write('c-1', true));
    await second.runner.idle();
    expect(second.writes).toHaveLength(0);
    expect(second.results).toHaveLength(0);
  });

  it('answers failures, malformed and expired commands, and camera commands, naming the problem', async () => {
    const { runner, writes, data, results } = setup();
    runner.submit(write('c-1', 1, { device: 'pump-9' }));
    runner.submit('{"v":1,"id":"c-2","type":"write"');
    runner.submit(write('c-3', 1, { point: 'Siren' }));
    runner.submit(write('c-4', true, { ts: NOW - 3_600_000 }));
    runner.submit(JSON.stringify({ v: 1, id: 'c-5', ts: NOW, type: 'capture' }));
    runner.submit(JSON.stringify({ v: 1, id: 'c-6', ts: NOW, type: 'ptz', camera: 'cam-1', action: 'stop' }));
    await runner.idle();
    expect(writes).toEqual([]);
    expect(data()).toEqual([
      expect.objectContaining({ id: 'c-1', ok: false, error: 'no device "pump-9" on this gateway' }),
      expect.objectContaining({ id: null, ok: false, error: expect.stringMatching(/^malformed command: not valid JSON/) }),
      expect.objectContaining({ id: 'c-3', command: 'write', ok: false, error: expect.stringMatching(/^malformed command: .*point/) }),
      expect.objectContaining({ id: 'c-4', ok: false, error: 'expired: issued 3600 s ago, the limit is 60 s' }),
      expect.objectContaining({ id: 'c-5', command: 'capture', ok: false, error: NO_CAMERAS }),
      expect.objectContaining({ id: 'c-6', command: 'ptz', ok: false, error: NO_CAMERAS }),
    ]);
    expect(results.map((r) => r.device)).toEqual(['pump-9', 'gw-1', 'siren-1', 'siren-1', 'gw-1', 'cam-1']);
  });

  it('stop waits for the running command and takes no more', async () => {
    const { runner, writes, release } = setup();
    runner.submit(write('c-1', 7, { point: 'slow' }));
    await new Promise((resolve) => setImmediate(resolve));
    const stopped = runner.stop();
    runner.submit(write('c-2', true));
    release();
    await stopped;
    expect(writes).toEqual([['siren-1', 'slow', 7]]);
  });
});
