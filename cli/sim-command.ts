// `shaobing sim modbus`: simulated devices for a technician or a demo, without hardware. One
// profile or several (`--device NAME:UNIT`, a whole RS-485 line), over Modbus TCP, RTU framing
// over TCP (`--rtu-over-tcp`), or RTU on a serial device (`--serial PATH`, or `--pty` for a
// socat virtual cable), with faults on demand (`--fault UNIT:KIND`).
import { InvalidArgumentError } from 'commander';
import { defaultProfilesDir, loadProfileLibrary } from '../gateway/index.js';
import type { DeviceProfile } from '../gateway/profile-schema.js';
import { createLogger } from '../lib/logger.js';
import { describeFault, parseUnitFault, startModbusSimulator, startPtyPair, startRtuSimulator, type Fault, type SimulatedBus, type SimulatedDeviceSpec } from '../simulators/modbus/index.js';
import { untilSignal } from './services.js';

export interface SimOptions {
  profile?: string;
  unit: number;
  device: string[];
  port: number;
  host: string;
  seed: number;
  rtuOverTcp?: boolean;
  serial?: string;
  pty?: boolean;
  baud: number;
  parity: 'none' | 'even' | 'odd';
  dataBits: 7 | 8;
  stopBits: 1 | 2;
  fault: string[];
}

/** `th-transmitter:1` → profile and unit. Pure. */
export function parseDeviceSpec(text: string): { profile: string; unit: number } {
  const match = /^([a-z0-9][a-z0-9._-]*):(\d{1,3})$/.exec(text);
  const unit = Number(match?.[2]);
  if (!match || unit < 1 || unit > 247) throw new InvalidArgumentError(`--device ${text}: expected PROFILE:UNIT with a unit id 1–247, e.g. th-transmitter:1`);
  return { profile: match[1]!, unit };
}

/** The devices and faults the options ask for, checked against the profile library. Pure. */
export function simulatedDevices(opts: Pick<SimOptions, 'profile' | 'unit' | 'device' | 'seed' | 'fault'>, profiles: ReadonlyMap<string, DeviceProfile>): { devices: SimulatedDeviceSpec[]; faults: { unit: number; fault: Fault }[] } {
  const wanted = [...(opts.profile ? [{ profile: opts.profile, unit: opts.unit }] : []), ...opts.device.map(parseDeviceSpec)];
  if (wanted.length === 0) throw new InvalidArgumentError('give --profile NAME (with --unit) or one --device PROFILE:UNIT per simulated device');
  const seen = new Set<number>();
  const devices = wanted.map(({ profile: name, unit }, i) => {
    const profile = profiles.get(name);
    if (!profile) throw new InvalidArgumentError(`unknown profile "${name}"; known: ${[...profiles.keys()].sort().join(', ')}`);
    if (seen.has(unit)) throw new InvalidArgumentError(`unit ${unit} is given twice: every device on a bus needs its own unit id`);
    seen.add(unit);
    return { unit, profile, seed: opts.seed + i };
  });
  const faults = opts.fault.map((text) => {
    let parsed: { unit: number; fault: Fault };
    try {
      parsed = parseUnitFault(text);
    } catch (err) {
      throw new InvalidArgumentError(`--fault ${(err as Error).message}`);
    }
    if (!seen.has(parsed.unit) && !seen.has(0)) throw new InvalidArgumentError(`--fault ${text}: no simulated device has unit ${parsed.unit}`);
    return parsed;
  });
  return { devices, faults };
}

function printDevices(devices: SimulatedDeviceSpec[], bus: SimulatedBus): void {
  for (const { unit, profile } of devices) {
    const fault = bus.faultOf(unit);
    console.log(`  unit ${unit === 0 ? 'any' : unit}: ${profile.name} (${profile.manufacturer} ${profile.model})${fault.kind === 'none' ? '' : `  fault: ${describeFault(fault)}`}`);
    for (const point of profile.points) {
      console.log(`    ${point.table.padEnd(8)} 0x${point.address.toString(16).padStart(4, '0')}  ${point.name} [${point.unit ?? ''}]${point.access === 'rw' ? ' (writable)' : ''}`);
    }
  }
}

export async function runModbusSimulator(opts: SimOptions): Promise<void> {
  if (opts.serial && opts.pty) throw new InvalidArgumentError('--serial and --pty both choose the serial line: give one');
  if (opts.rtuOverTcp && (opts.serial || opts.pty)) throw new InvalidArgumentError('--rtu-over-tcp serves on a TCP port; --serial/--pty serve on a serial line: give one');
  const profiles = await loadProfileLibrary(defaultProfilesDir());
  const { devices, faults } = simulatedDevices(opts, profiles);
  const logger = createLogger('shaobing-sim');
  const cleanups: (() => Promise<void>)[] = [];
  try {
    let bus: SimulatedBus;
    if (opts.serial || opts.pty) {
      let path = opts.serial;
      let gatewayEnd: string | undefined;
      if (opts.pty) {
        const pty = await startPtyPair();
        cleanups.push(() => pty.close());
        path = pty.devicePath;
        gatewayEnd = pty.gatewayPath;
      }
      const sim = await startRtuSimulator({ path: path!, devices, baudRate: opts.baud, parity: opts.parity, dataBits: opts.dataBits, stopBits: opts.stopBits, logger });
      cleanups.push(() => sim.close());
      bus = sim.bus;
      for (const { unit, fault } of faults) bus.setFault(unit, fault);
      const format = `${opts.dataBits}${opts.parity[0]!.toUpperCase()}${opts.stopBits}`;
      console.log(`simulating ${devices.length} RS-485 device(s), Modbus RTU on ${path} at ${opts.baud} ${format}`);
      if (gatewayEnd) console.log(`gateway end of the virtual cable: ${gatewayEnd}\n  try: shaobing modbus scan --url 'rtu://${gatewayEnd}?baud=${opts.baud}&format=${format}' --units 1-10`);
    } else {
      const sim = await startModbusSimulator({ devices, host: opts.host, port: opts.port, framing: opts.rtuOverTcp ? 'rtu' : 'mbap', logger });
      cleanups.push(() => sim.close());
      bus = sim.bus;
      for (const { unit, fault } of faults) bus.setFault(unit, fault);
      const url = `${opts.rtuOverTcp ? 'rtu+tcp' : 'tcp'}://${sim.host}:${sim.port}`;
      console.log(`simulating ${devices.length} device(s) on ${opts.rtuOverTcp ? 'RTU framing over TCP (a transparent serial server)' : 'Modbus TCP'} at ${url}, seed ${opts.seed}`);
      console.log(`  try: shaobing modbus read --url ${url} --unit ${devices[0]!.unit || 1} --profile ${devices[0]!.profile.name}`);
    }
    printDevices(devices, bus);
    await untilSignal();
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
}
