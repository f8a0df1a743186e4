// A Modbus TCP device simulator: serves a device profile's registers and bits, with values
// from the deterministic value model, over modbus-serial's ServerTCP.
import { ServerTCP, type IServiceVector } from 'modbus-serial';
import type { Logger } from '../../lib/logger.js';
import { freePort } from '../../lib/net.js';
import type { DeviceProfile, ProfilePoint } from '../../gateway/profile-schema.js';
import { ILLEGAL_FUNCTION, ModbusExceptionError, SimulatedRegisterMap, servedValue, type UnmappedPolicy } from './register-map.js';
import { simulatedValue } from './value-model.js';

export interface ModbusSimulatorOptions {
  profile: DeviceProfile;
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /**
   * Unit id the simulator answers (default 1); requests for other units get no answer, as on
   * a real bus. modbus-serial treats 0 as 255: answer every unit id.
   */
  unitId?: number;
  /** Seed of the value model (default 1). Same seed and time, same values. */
  seed?: number;
  /** Time source (default Date.now); tests share one with the gateway. */
  clock?: () => number;
  unmapped?: UnmappedPolicy;
  logger?: Logger;
}

export interface ModbusSimulator {
  readonly host: string;
  readonly port: number;
  readonly unitId: number;
  readonly seed: number;
  readonly profile: DeviceProfile;
  /** What a Modbus reader decodes for the point at `timeMs` (after register resolution). */
  valueAt(pointName: string, timeMs: number): number | boolean;
  /** The model's value before register resolution. */
  modelValueAt(pointName: string, timeMs: number): number | boolean;
  close(): Promise<void>;
}

function refuseWrites(): never {
  throw new ModbusExceptionError(ILLEGAL_FUNCTION, 'the simulator is read-only');
}

/**
 * The handlers ServerTCP calls. modbus-serial picks the calling style from each function's
 * parameter count (`fn.length`): (addr, unit) and (addr, length, unit) are synchronous, one
 * more parameter means a node-style callback. So these keep exactly those parameters: no
 * defaults, no rest parameters. Multi-register reads get their own handlers so one request is
 * computed at one instant (a float32 never mixes two seconds); single-register reads still go
 * through getHoldingRegister/getInputRegister. Every function code gets an answer (an
 * exception if need be): a missing handler makes ServerTCP stay silent and the client time out.
 */
function serviceVector(map: SimulatedRegisterMap, clock: () => number): IServiceVector {
  return {
    getHoldingRegister: (addr: number, _unitID: number) => map.registers('holding', addr, 1, clock())[0]!,
    getInputRegister: (addr: number, _unitID: number) => map.registers('input', addr, 1, clock())[0]!,
    getMultipleHoldingRegisters: (addr: number, length: number, _unitID: number) => map.registers('holding', addr, length, clock()),
    getMultipleInputRegisters: (addr: number, length: number, _unitID: number) => map.registers('input', addr, length, clock()),
    getCoil: (addr: number, _unitID: number) => map.bits('coil', addr, 1, clock())[0]!,
    getDiscreteInput: (addr: number, _unitID: number) => map.bits('discrete', addr, 1, clock())[0]!,
    setCoil: (_addr: number, _value: boolean, _unitID: number) => refuseWrites(),
    setRegister: (_addr: number, _value: number, _unitID: number) => refuseWrites(),
    setRegisterArray: (_addr: number, _value: number[], _unitID: number) => refuseWrites(),
  };
}

function listen(vector: IServiceVector, host: string, port: number, unitId: number): Promise<ServerTCP> {
  return new Promise((resolve, reject) => {
    const server = new ServerTCP(vector, { host, port, unitID: unitId });
    server.once('initialized', () => resolve(server));
    server.once('serverError', (err) => reject(err ?? new Error(`cannot listen on ${host}:${port}`)));
  });
}

export async function startModbusSimulator(options: ModbusSimulatorOptions): Promise<ModbusSimulator> {
  const { profile } = options;
  const host = options.host ?? '127.0.0.1';
  const unitId = options.unitId ?? 1;
  const seed = options.seed ?? 1;
  const clock = options.clock ?? Date.now;
  const map = new SimulatedRegisterMap(profile, seed, options.unmapped ?? 'exception');
  const vector = serviceVector(map, clock);

  // ServerTCP listens on `port || 502`, so it cannot take port 0: ask the kernel for a free
  // port first, and try again if another process grabbed it in between.
  let server: ServerTCP | undefined;
  let port = options.port ?? 0;
  for (let attempt = 1; !server; attempt++) {
    const candidate = port === 0 ? await freePort() : port;
    try {
      server = await listen(vector, host, candidate, unitId);
      port = candidate;
    } catch (err) {
      const inUse = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
      if (!(inUse && (options.port ?? 0) === 0 && attempt < 5)) throw err;
    }
  }
  const running = server;
  // Clients resetting their connection are routine (the gateway drops links on timeouts).
  running.on('socketError', (err) => options.logger?.debug({ err, profile: profile.name }, 'simulator socket error'));
  running.on('error', (err) => options.logger?.warn({ err, profile: profile.name }, 'simulator error'));
  options.logger?.info({ profile: profile.name, host, port, unitId, seed }, 'modbus simulator listening');

  const pointNamed = (name: string): ProfilePoint => {
    const point = profile.points.find((p) => p.name === name);
    if (!point) throw new Error(`profile ${profile.name} has no point "${name}"`);
    return point;
  };
  let closing: Promise<void> | undefined;

  return {
    host,
    port,
    unitId,
    seed,
    profile,
    valueAt: (name, timeMs) => servedValue(pointNamed(name), seed, timeMs),
    modelValueAt: (name, timeMs) => simulatedValue(pointNamed(name), seed, timeMs),
    close: () => (closing ??= new Promise<void>((resolve) => running.close(() => resolve()))),
  };
}
