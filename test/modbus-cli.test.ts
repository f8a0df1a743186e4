// The technician's commands as real processes (the compiled CLI): a simulated RS-485 line on a
// virtual cable (`sim modbus --pty`), found by `modbus scan` and read by `modbus read`; and a
// simulated serial server (`--rtu-over-tcp`) read over RTU framing.
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../lib/net.js';
import { waitFor } from '../lib/wait.js';
import { runCli, type CliProcess } from './harness/processes.js';
import { describeWithTool } from './harness/tools.js';

const running: CliProcess[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop()));
});

function start(args: string[]): CliProcess {
  const p = runCli(args);
  running.push(p);
  return p;
}

async function run(args: string[]): Promise<{ code: number | string; output: string }> {
  const p = start(args);
  const code = await p.exited;
  return { code, output: p.output() };
}

describeWithTool('socat', 'shaobing sim modbus --pty, modbus scan and modbus read', () => {
  it('simulates a whole RS-485 line that scan finds and read decodes', { timeout: 60_000 }, async () => {
    const sim = start(['sim', 'modbus', '--pty', '--device', 'th-transmitter:1', '--device', 'pm-sensor:2', '--fault', '2:exception:6']);
    const gatewayEnd = await waitFor(() => /gateway end of the virtual cable: (\S+)/.exec(sim.output())?.[1], { what: 'the simulator to print its pty', timeoutMs: 20_000 }).catch((err: Error) => {
      throw new Error(`${err.message}; output: ${sim.output()}`);
    });

    const scan = await run(['modbus', 'scan', '--url', `rtu://${gatewayEnd}?baud=9600`, '--units', '1-4', '--timeout', '100']);
    expect(scan.code, scan.output).toBe(0);
    expect(scan.output).toMatch(/2 units answered on rtu \S+ \(4 unit ids probed in/);
    expect(scan.output).toMatch(/^\s+1\s+data\s+holding 0x0000 = 0x[0-9a-f]{4}$/m);
    expect(scan.output).toMatch(/^\s+2\s+exception\s+exception 6 \(slave device busy\)/m);

    const read = await run(['modbus', 'read', '--url', `rtu://${gatewayEnd}`, '--unit', '1', '--profile', 'th-transmitter', '--json']);
    expect(read.code, read.output).toBe(0);
    const report = JSON.parse(read.output.slice(read.output.indexOf('{'))) as { values: Record<string, number>; requests: string[] };
    expect(report.requests).toEqual(['holding 0x0000×2 (humidity, temperature)']);
    expect(report.values.temperature).toBeGreaterThan(-60);
    expect(report.values.humidity).toBeGreaterThanOrEqual(0);

    // A dead unit: one line, exit 1.
    const dead = await run(['modbus', 'read', '--url', `rtu://${gatewayEnd}`, '--unit', '9', '--profile', 'th-transmitter', '--timeout', '100']);
    expect(dead.code).toBe(1);
    expect(dead.output.trim()).toBe('shaobing modbus read: timeout: no answer from unit 9 within 100 ms (read holding 0x0000×2)');

    // Stopping the simulator stops its socat: the virtual cable is gone.
    await sim.stop();
    expect(fs.existsSync(gatewayEnd)).toBe(false);
  });
});

describe('shaobing sim modbus --rtu-over-tcp and modbus read', () => {
  it('reads a device through a simulated serial server, as a table', { timeout: 30_000 }, async () => {
    const port = await freePort();
    const sim = start(['sim', 'modbus', '--rtu-over-tcp', '--port', String(port), '--device', 'pm-sensor:3']);
    await waitFor(() => sim.output().includes(`rtu+tcp://127.0.0.1:${port}`), { what: 'the simulator to listen', timeoutMs: 20_000 });
    const read = await run(['modbus', 'read', '--url', `rtu+tcp://127.0.0.1:${port}`, '--unit', '3', '--profile', 'pm-sensor']);
    expect(read.code, read.output).toBe(0);
    expect(read.output).toMatch(/^pm-sensor .* on rtu-over-tcp 127\.0\.0\.1:\d+, unit 3: 2 requests/m);
    expect(read.output).toMatch(/^\s+pm25\s+\d+\s+µg\/m³\s+holding 0x0004 uint16/m);
  });

  it('names a bad URL and a bad fault', async () => {
    const bad = await run(['modbus', 'scan', '--url', 'rtu://dev/ttyUSB0']);
    expect(bad.code).toBe(1);
    expect(bad.output).toMatch(/did you mean rtu:\/\/\/dev\/ttyUSB0/);
    const fault = await run(['sim', 'modbus', '--device', 'th-transmitter:1', '--port', '0', '--fault', '1:explode']);
    expect(fault.code).toBe(1);
    expect(fault.output).toMatch(/--fault fault "explode": unknown kind "explode"/);
  });
});
