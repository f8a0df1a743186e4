// `shaobing cameras discover|check` in-process against camera simulators: three cameras found by
// one loopback broadcast probe, a healthy camera described and its snapshot saved, and the exit
// codes and advice for a wrong password, a dead address and missing credentials.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../lib/net.js';
import { startCameraSimulator, type CameraSimulator } from '../simulators/camera/index.js';
import { freeUdpPort } from '../test/harness/udp.js';
import { EXIT, runCamerasCheck, runCamerasCommand, runCamerasDiscover } from './cameras-command.js';
import type { Io } from './modbus-command.js';

function captureIo(): Io & { stdout: string[]; stderr: string } {
  const io = { stdout: [] as string[], stderr: '', errIsTty: false, out: (line: string) => void io.stdout.push(line), err: (text: string) => void (io.stderr += text) };
  return io;
}

let sims: CameraSimulator[] = [];
let discoveryPort: number;
let dir: string;

beforeAll(async () => {
  discoveryPort = await freeUdpPort();
  sims = await Promise.all(['Songhua Bridge', 'Port Gate', 'Jiejinkou Village'].map((name) => startCameraSimulator({ name, discovery: { mode: 'loopback', port: discoveryPort } })));
  dir = await mkdtemp(path.join(tmpdir(), 'sb-cameras-cli-'));
});

afterAll(async () => {
  await Promise.all(sims.map((sim) => sim.close()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('cameras discover', () => {
  it('lists every camera that answers one probe, by name, hardware and address', async () => {
    const io = captureIo();
    expect(await runCamerasDiscover({ target: [`127.255.255.255:${discoveryPort}`], timeout: 700 }, io)).toBe(EXIT.ok);
    expect(io.stdout[0]).toBe('3 cameras found:');
    expect(io.stdout[1]).toMatch(/^NAME\s+HARDWARE\s+LOCATION\s+XADDR\s+URN$/);
    for (const sim of sims) {
      expect(io.stdout.find((line) => line.startsWith(sim.name))).toContain(`${sim.xaddr}  ${sim.endpoint}`);
    }
  });

  it('says what to check when nothing answers', async () => {
    const io = captureIo();
    expect(await runCamerasDiscover({ target: [`127.255.255.255:${await freeUdpPort()}`], timeout: 300 }, io)).toBe(EXIT.none);
    expect(io.stdout.join('\n')).toMatch(/no ONVIF camera answered[\s\S]*VLAN[\s\S]*UDP 3702[\s\S]*--target/);
  });

  it('refuses a target without a port', async () => {
    const io = captureIo();
    expect(await runCamerasCommand('discover', () => runCamerasDiscover({ target: ['239.255.255.250'], timeout: 300 }, io), io)).toBe(EXIT.usage);
    expect(io.stderr).toMatch(/^shaobing cameras discover: --target 239\.255\.255\.250: must be host:port/);
  });
});

describe('cameras check', () => {
  it('describes a healthy camera and saves its snapshot; the password comes from the environment', async () => {
    const sim = sims[0]!;
    const io = captureIo();
    const file = path.join(dir, 'bridge.jpg');
    const code = await runCamerasCheck({ xaddr: sim.xaddr, username: 'admin', timeout: 2000, snapshot: file, maxBytes: 1 << 20 }, io, { SB_CAMERA_PASSWORD: 'admin12345' });
    const text = io.stdout.join('\n');
    expect(code).toBe(EXIT.ok);
    expect(text).toMatch(/^state\s+online$/m);
    expect(text).toContain(`${sim.identity.manufacturer} ${sim.identity.model}`);
    expect(text).toMatch(/^profiles\s+Profile_1 \(mainStream\) H264 1920×1080 {3}← in use$/m);
    expect(text).toMatch(/^stream\s+rtsp:\/\/.*\/Streaming\/Channels\/101$/m);
    expect(text).toMatch(/^ptz\s+yes$/m);
    expect(text).toMatch(new RegExp(`^snapshot\\s+\\d+ bytes, 640×360, saved to ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`, 'm'));
    const saved = await readFile(file);
    expect(saved.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    expect(text).not.toContain('admin12345');
  });

  it('reports a refused password as auth-failed with advice (exit 3)', async () => {
    const io = captureIo();
    const code = await runCamerasCheck({ xaddr: sims[1]!.xaddr, username: 'admin', password: 'guess', timeout: 2000, maxBytes: 1 << 20 }, io);
    expect(code).toBe(EXIT.problem);
    expect(io.stdout.join('\n')).toMatch(/^state\s+auth-failed — .*not Authorized[\s\S]*what to do: .*clock/m);
  });

  it('reports a dead address as unreachable (exit 4), and JSON on request', async () => {
    const io = captureIo();
    const code = await runCamerasCheck({ xaddr: `http://127.0.0.1:${await freePort()}/onvif/device_service`, username: 'admin', password: 'x', timeout: 1000, maxBytes: 1 << 20, json: true }, io);
    expect(code).toBe(EXIT.none);
    expect(JSON.parse(io.stdout.join('\n'))).toMatchObject({ state: 'unreachable', error: expect.stringMatching(/ECONNREFUSED/) });
  });

  it('asks for the password when neither the option nor the variable gives it', async () => {
    const io = captureIo();
    const code = await runCamerasCommand('check', () => runCamerasCheck({ xaddr: sims[0]!.xaddr, username: 'admin', timeout: 1000, maxBytes: 1 << 20 }, io, {}), io);
    expect(code).toBe(EXIT.usage);
    expect(io.stderr).toBe('shaobing cameras check: give the password with --password or SB_CAMERA_PASSWORD\n');
  });
});
