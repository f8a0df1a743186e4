// `shaobing modbus read|scan` in-process against simulators: the table and JSON a technician
// gets, refused points, unanswered units, progress on stderr, and one-line errors.
import { afterEach, describe, expect, it } from 'vitest';
import { startModbusSimulator, startPtyPair, startRtuSimulator, type ModbusSimulator } from '../simulators/modbus/index.js';
import { defaultProfilesDir, loadProfileLibrary } from '../gateway/profile.js';
import { describeWithTool, requireTool } from '../test/harness/tools.js';
import { formatTable, interpretProbe, runModbusCommand, runModbusRead, runModbusScan, type Io } from './modbus-command.js';

const T0 = Date.UTC(2026, 0, 15, 21, 0, 0);

function captureIo(errIsTty = false): Io & { stdout: string[]; stderr: string } {
  const io = { stdout: [] as string[], stderr: '', errIsTty, out: (line: string) => void io.stdout.push(line), err: (text: string) => void (io.stderr += text) };
  return io;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function simulator(framing: 'mbap' | 'rtu' = 'mbap'): Promise<ModbusSimulator> {
  const library = await loadProfileLibrary(defaultProfilesDir());
  const sim = await startModbusSimulator({
    framing,
    clock: () => T0,
    devices: [
      { unit: 1, profile: library.get('th-transmitter')!, seed: 3 },
      { unit: 2, profile: library.get('pm-sensor')!, seed: 4 },
      { unit: 3, profile: library.get('th-transmitter')!, seed: 5 },
    ],
  });
  cleanups.push(() => sim.close());
  return sim;
}

describe('modbus read', () => {
  it('prints every point decoded, with units and registers', async () => {
    const sim = await simulator();
    const io = captureIo();
    const code = await runModbusRead({ url: `tcp://127.0.0.1:${sim.port}`, unit: 1, profile: 'th-transmitter', timeout: 1000 }, io);
    expect(code).toBe(0);
    const th = sim.bus.device(1)!;
    expect(io.stdout[0]).toMatch(new RegExp(`^th-transmitter \\(.*\\) on tcp 127\\.0\\.0\\.1:${sim.port}, unit 1: 1 request, \\d+ ms, at \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z$`));
    expect(io.stdout.slice(1).map((l) => l.trim().split(/\s{2,}/))).toEqual([
      ['POINT', 'VALUE', 'UNIT', 'REGISTER', 'NOTE'],
      ['humidity', String(th.valueAt('humidity', T0)), '%RH', 'holding 0x0000 uint16 ×0.1'],
      ['temperature', String(th.valueAt('temperature', T0)), '°C', 'holding 0x0001 int16 ×0.1'],
    ]);
  });

  it('gives JSON with --json, over RTU framing too', async () => {
    const sim = await simulator('rtu');
    const io = captureIo();
    await runModbusRead({ url: `rtu+tcp://127.0.0.1:${sim.port}`, unit: 2, profile: 'pm-sensor', timeout: 1000, json: true, maxGap: 8 }, io);
    const pm = sim.bus.device(2)!;
    expect(JSON.parse(io.stdout.join('\n'))).toMatchObject({
      url: `rtu+tcp://127.0.0.1:${sim.port}`,
      unit: 2,
      profile: 'pm-sensor',
      ts: expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/),
      // pm-sensor's points sit at 4 and 9; the simulator refuses the gap, so the read is split.
      requests: ['holding 0x0004×1 (pm25)', 'holding 0x0009×1 (pm10)'],
      values: { pm25: pm.valueAt('pm25', T0), pm10: pm.valueAt('pm10', T0) },
      missing: {},
    });
  });

  it('marks points the device refuses, and exits 3', async () => {
    const sim = await simulator();
    const io = captureIo();
    // A th-transmitter has nothing at pm-sensor's addresses.
    expect(await runModbusRead({ url: `tcp://127.0.0.1:${sim.port}`, unit: 1, profile: 'pm-sensor', timeout: 1000 }, io)).toBe(3);
    expect(io.stdout.join('\n')).toMatch(/pm25\s+—\s+µg\/m³\s+holding 0x0004 uint16\s+refused: exception 2 \(illegal data address\)$/m);
    expect(io.stdout.at(-1)).toBe('2 of 2 points not read.');
  });

  it.each([
    [{ url: 'tcp://127.0.0.1:PORT', unit: 9 }, /^shaobing modbus read: timeout: no answer from unit 9 within 100 ms \(read holding 0x0000×2\)\n$/],
    [{ url: 'tcp://127.0.0.1:1', unit: 1 }, /^shaobing modbus read: connection: cannot open tcp 127\.0\.0\.1:1: .*ECONNREFUSED/],
    [{ url: 'rtu:///dev/no-such-tty', unit: 1 }, /^shaobing modbus read: connection: cannot open rtu \/dev\/no-such-tty: .*(No such file|ENOENT)/],
    [{ url: 'modbus://x', unit: 1 }, /^shaobing modbus read: --url modbus:\/\/x: unknown scheme "modbus:"/],
  ])('fails with one line and exit 1: %o', async ({ url, unit }, message) => {
    const sim = await simulator();
    const io = captureIo();
    const code = await runModbusCommand('read', () => runModbusRead({ url: url.replace('PORT', String(sim.port)), unit, profile: 'th-transmitter', timeout: 100 }, io), io);
    expect(code).toBe(1);
    expect(io.stderr).toMatch(message);
  });
});

describe('modbus scan', () => {
  it('lists the units that answer, including damaged and refusing ones; progress on stderr', async () => {
    const sim = await simulator();
    sim.setFault(2, { kind: 'exception', code: 6 });
    sim.setFault(3, { kind: 'garble' });
    const io = captureIo(false);
    expect(await runModbusScan({ url: `tcp://127.0.0.1:${sim.port}`, units: '1-12', timeout: 250 }, io)).toBe(0);
    expect(io.stdout[0]).toMatch(/^3 units answered on tcp 127\.0\.0\.1:\d+ \(12 unit ids probed in \d+\.\d s\)$/);
    expect(io.stdout.slice(1).map((l) => l.trim().split(/\s{2,}/).slice(0, 2))).toEqual([['UNIT', 'ANSWER'], ['1', 'data'], ['2', 'exception'], ['3', 'unexpected']]);
    expect(io.stderr.trim().split('\n').at(-1)).toMatch(/^scanning tcp:\/\/127\.0\.0\.1:\d+: unit 12 \(12\/12\), 3 found$/);
    expect(sim.connections.accepted).toBe(1); // silent units do not cost reconnects
  });

  it('shows a one-line counter on a terminal and JSON on stdout', async () => {
    const sim = await simulator();
    const io = captureIo(true);
    await runModbusScan({ url: `tcp://127.0.0.1:${sim.port}`, units: '1,3,7', timeout: 50, json: true }, io);
    const eraseLine = '\u001b[K';
    expect(io.stderr.split('\r').filter(Boolean).map((l) => l.replaceAll(eraseLine, '').replaceAll('\n', ''))).toEqual([
      expect.stringMatching(/unit 1 \(1\/3\), 1 found$/),
      expect.stringMatching(/unit 3 \(2\/3\), 2 found$/),
      expect.stringMatching(/unit 7 \(3\/3\), 2 found$/),
    ]);
    expect(JSON.parse(io.stdout.join('\n'))).toMatchObject({ scanned: 3, found: [{ unit: 1, answer: 'data' }, { unit: 3, answer: 'data' }] });
  });

  it('exits 4 when nothing answers, saying what to check', async () => {
    const sim = await simulator();
    const io = captureIo();
    expect(await runModbusScan({ url: `tcp://127.0.0.1:${sim.port}`, units: '20-21', timeout: 30 }, io)).toBe(4);
    expect(io.stdout[1]).toMatch(/nothing answered: check the URL, baud rate, parity, wiring/);
  });

  it('interprets probe outcomes', () => {
    expect(interpretProbe({ words: [0x292] })).toEqual({ answer: 'data', detail: 'holding 0x0000 = 0x0292' });
    expect(interpretProbe({ error: Object.assign(new Error('Timed out'), { errno: 'ETIMEDOUT' }) })).toBeUndefined();
    expect(interpretProbe({ error: new Error('CRC error') })?.answer).toBe('garbled');
    expect(() => interpretProbe({ error: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) })).toThrow(/ECONNREFUSED/);
  });
});

describeWithTool('socat', 'modbus scan on an RTU line', () => {
  it('finds the slaves on a serial line, damaged answers included', async () => {
    const library = await loadProfileLibrary(defaultProfilesDir());
    const pty = await startPtyPair({ socat: requireTool('socat') });
    cleanups.push(() => pty.close());
    const slaves = await startRtuSimulator({ path: pty.devicePath, devices: [{ unit: 1, profile: library.get('th-transmitter')! }, { unit: 5, profile: library.get('pm-sensor')! }] });
    cleanups.push(() => slaves.close());
    slaves.setFault(5, { kind: 'garble' });
    const io = captureIo();
    expect(await runModbusScan({ url: `rtu://${pty.gatewayPath}?baud=9600`, units: '1-6', timeout: 300 }, io)).toBe(0); // generous: a loaded CI machine answers a pty late
    expect(io.stdout.slice(2).map((l) => l.trim().split(/\s{2,}/).slice(0, 2))).toEqual([['1', 'data'], ['5', 'garbled']]);
  });
});

describe('formatTable', () => {
  it('aligns columns by characters, not bytes', () => {
    expect(formatTable([['a', 'µg/m³', 'x'], ['long', '°C', 'y']])).toEqual(['a     µg/m³  x', 'long  °C     y']);
  });
});
