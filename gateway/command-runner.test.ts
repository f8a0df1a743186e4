// Running commands against a scripted acquisition and camera service: one at a time in order,
// results with the command id and duration, duplicates ignored (also after a restart), camera
// commands refused without cameras and answered per camera with them.
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/logger.js';
import { commandResultDataSchema, eventSchema, type GatewayEvent } from '../protocol/index.js';
import { CommandLedger } from './command-ledger.js';
import type { CameraCommands } from './cameras/camera-service.js';
import { CommandRunner, NO_CAMERAS } from './command-runner.js';
import { openGatewayDatabase } from './local-db.js';

const NOW = Date.UTC(2026, 0, 16, 5, 0, 0);
const write = (id: string, value: number | boolean, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ v: 1, id, ts: NOW - 1000, type: 'write', device: 'siren-1', point: 'siren', value, ...extra });

function setup(db = openGatewayDatabase(':memory:', { synchronous: 'normal' }), cameras?: CameraCommands) {
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
    ...(cameras ? { cameras } : {}),
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

  it('runs capture and ptz on the camera service, in order with writes, with per-camera outcomes', async () => {
    const calls: string[] = [];
    const cameras: CameraCommands = {
      capture: async (command) => {
        calls.push(`capture ${command.id}`);
        if (command.cameras?.includes('cam-x')) return { ok: false, error: 'unknown camera "cam-x"', results: [] };
        return {
          ok: command.device !== 'gas-1', basis: command.device ? 'linked' : 'all',
          results: command.device === 'gas-1'
            ? [{ camera: 'cam-1', ok: true, bytes: 100 }, { camera: 'cam-2', ok: false, error: 'snapshot: no complete answer within 5000 ms' }]
            : [{ camera: 'cam-1', ok: true, bytes: 100, width: 640, height: 360 }],
        };
      },
      ptz: async (command) => {
        calls.push(`ptz ${command.action}`);
        if (command.action === 'preset') throw new Error('PTZ preset "9": SOAP fault env:Sender ter:InvalidArgVal ter:NoToken');
      },
    };
    const { db } = setup();
    const { runner, data, results } = setup(db, cameras);
    runner.submit(JSON.stringify({ v: 1, id: 'k-1', ts: NOW, type: 'ptz', camera: 'cam-1', action: 'move', pan: 0.5 }));
    runner.submit(JSON.stringify({ v: 1, id: 'k-2', ts: NOW, type: 'capture', device: 'level-1', alarmId: 'a-1' }));
    runner.submit(JSON.stringify({ v: 1, id: 'k-3', ts: NOW, type: 'capture', device: 'gas-1' }));
    runner.submit(JSON.stringify({ v: 1, id: 'k-4', ts: NOW, type: 'capture', cameras: ['cam-x'] }));
    runner.submit(JSON.stringify({ v: 1, id: 'k-5', ts: NOW, type: 'ptz', camera: 'cam-1', action: 'preset', preset: '9' }));
    await runner.idle();
    expect(calls).toEqual(['ptz move', 'capture k-2', 'capture k-3', 'capture k-4', 'ptz preset']);
    expect(results.map((r) => r.device)).toEqual(['cam-1', 'gw-1', 'gw-1', 'gw-1', 'cam-1']);
    expect(data()[0]).toMatchObject({ id: 'k-1', command: 'ptz', ok: true });
    expect(results[1]!.event.data).toMatchObject({
      id: 'k-2', ok: true, selection: 'linked', alarmId: 'a-1', device: 'level-1', captures: [{ camera: 'cam-1', ok: true, width: 640 }],
    });
    expect(results[2]!.event.data).toMatchObject({
      id: 'k-3', ok: false, error: '1 of 2 cameras gave no image: cam-2: snapshot: no complete answer within 5000 ms',
      captures: [{ camera: 'cam-1', ok: true }, { camera: 'cam-2', ok: false }],
    });
    expect(data()[3]).toMatchObject({ id: 'k-4', ok: false, error: 'unknown camera "cam-x"' });
    expect(data()[4]).toMatchObject({ id: 'k-5', ok: false, error: expect.stringMatching(/NoToken/) });
  });
});
