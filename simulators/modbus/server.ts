// A Modbus device simulator on a TCP port: one or several simulated units (simulated-bus.ts)
// speaking Modbus TCP (MBAP framing), or RTU framing over TCP as a transparent serial server
// (e.g. a USR/Moxa RS-485-to-Ethernet converter) does. Faults on demand per unit.
//
// It frames and answers requests itself instead of using modbus-serial's ServerTCP: one code
// path for TCP, RTU over TCP and RTU on a serial line (serial-server.ts), faults injected at
// the frame level (a bad CRC needs access to the frame), no parameter-count traps, and an
// implementation independent of the gateway's client, so the two cross-check each other.
import net from 'node:net';
import type { Logger } from '../../lib/logger.js';
import { closeServer, listen } from '../../lib/net.js';
import type { DeviceProfile } from '../../gateway/profile-schema.js';
import type { Fault } from './faults.js';
import { mbapFrame, MbapRequestReader } from './mbap-framing.js';
import type { UnmappedPolicy } from './register-map.js';
import { RtuRequestReader, rtuFrame } from './rtu-framing.js';
import { SimulatedBus, type SimulatedDevice, type SimulatedDeviceSpec } from './simulated-bus.js';
import type { SimulatedValue } from './value-model.js';

export type TcpFraming = 'mbap' | 'rtu';

export interface ModbusSimulatorOptions {
  /** One device: its profile (with unitId and seed), or `devices` for several units. */
  profile?: DeviceProfile;
  /**
   * Unit id the single device answers (default 1); requests for other units get no answer, as
   * on a real bus. 0: answer every unit id.
   */
  unitId?: number;
  /** Seed of the single device's value model (default 1). */
  seed?: number;
  /** Several units behind one endpoint, like RS-485 devices behind a converter. */
  devices?: SimulatedDeviceSpec[];
  /** `mbap` (default): Modbus TCP. `rtu`: raw RTU frames with CRC, as a transparent serial server sends. */
  framing?: TcpFraming;
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Time source (default Date.now); tests share one with the gateway. */
  clock?: () => number;
  unmapped?: UnmappedPolicy;
  logger?: Logger;
}

export interface ModbusSimulator {
  readonly host: string;
  readonly port: number;
  readonly framing: TcpFraming;
  /** The first device's unit id, seed and profile (the single-device form). */
  readonly unitId: number;
  readonly seed: number;
  readonly profile: DeviceProfile;
  readonly bus: SimulatedBus;
  /** The first device's value for the point at `timeMs`, as a Modbus reader decodes it. */
  valueAt(pointName: string, timeMs: number): SimulatedValue;
  /** The model's value before register resolution. */
  modelValueAt(pointName: string, timeMs: number): SimulatedValue;
  /** Scripts the first device's point (engineering units) until changed; `undefined` returns it to its model. */
  setValue(pointName: string, value: SimulatedValue | undefined): void;
  setFault(unit: number, fault: Fault): void;
  /** Connections accepted so far, and open now (tests: does the gateway keep or drop its link?). */
  readonly connections: { accepted: number; open: number };
  close(): Promise<void>;
}

/** The device list of either option form. */
export function deviceSpecs(options: Pick<ModbusSimulatorOptions, 'profile' | 'unitId' | 'seed' | 'devices' | 'unmapped'>): SimulatedDeviceSpec[] {
  const single = options.profile ? [{ unit: options.unitId ?? 1, profile: options.profile, seed: options.seed ?? 1 }] : [];
  const specs = [...single, ...(options.devices ?? [])];
  if (specs.length === 0) throw new Error('a simulator needs a profile or a list of devices');
  return specs.map((spec) => ({ unmapped: options.unmapped, ...spec }));
}

/** Serves one TCP connection: requests in arrival order, one at a time, like a slave on a line. */
function serveConnection(socket: net.Socket, bus: SimulatedBus, framing: TcpFraming, logger?: Logger): void {
  let queue: Promise<void> = Promise.resolve();
  const send = (frame: Buffer) => {
    if (!socket.destroyed) socket.write(frame);
  };
  if (framing === 'rtu') {
    const reader = new RtuRequestReader();
    socket.on('data', (chunk: Buffer) => {
      for (const { unit, pdu } of reader.push(chunk)) {
        queue = queue.then(async () => {
          const answer = await bus.handle(unit, pdu);
          if (answer) send(rtuFrame(unit, answer.pdu, answer.garble));
        });
      }
    });
  } else {
    const reader = new MbapRequestReader();
    socket.on('data', (chunk: Buffer) => {
      let requests;
      try {
        requests = reader.push(chunk);
      } catch (err) {
        logger?.debug({ err }, 'simulator: closing a connection that does not speak Modbus TCP');
        socket.destroy();
        return;
      }
      for (const { transactionId, unit, pdu } of requests) {
        queue = queue.then(async () => {
          const answer = await bus.handle(unit, pdu);
          if (!answer) return;
          // Modbus TCP has no CRC: a "garbled" answer carries a function code that fits no request.
          const body = answer.garble ? Buffer.from([answer.pdu[0]! ^ 0x40, ...answer.pdu.subarray(1)]) : answer.pdu;
          send(mbapFrame(transactionId, unit, body));
        });
      }
    });
  }
  // Clients resetting their connection are routine (the gateway drops links on timeouts).
  socket.on('error', (err) => logger?.debug({ err }, 'simulator socket error'));
}

export async function startModbusSimulator(options: ModbusSimulatorOptions): Promise<ModbusSimulator> {
  const host = options.host ?? '127.0.0.1';
  const framing = options.framing ?? 'mbap';
  const specs = deviceSpecs(options);
  const bus = new SimulatedBus(specs, options.clock ?? Date.now);
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serveConnection(socket, bus, framing, options.logger);
  });
  const port = await listen(server, options.port ?? 0, host);
  const first: SimulatedDevice = bus.device(specs[0]!.unit)!;
  options.logger?.info({ host, port, framing, units: bus.units() }, 'modbus simulator listening');

  let closing: Promise<void> | undefined;
  return {
    host,
    port,
    framing,
    unitId: first.unit,
    seed: first.seed,
    profile: first.profile,
    bus,
    valueAt: (name, timeMs) => first.valueAt(name, timeMs),
    modelValueAt: (name, timeMs) => first.modelValueAt(name, timeMs),
    setValue: (name, value) => first.setValue(name, value),
    setFault: (unit, fault) => bus.setFault(unit, fault),
    get connections() {
      return { accepted, open: sockets.size };
    },
    close: () =>
      (closing ??= (async () => {
        const done = closeServer(server);
        for (const socket of sockets) socket.destroy();
        await done;
      })()),
  };
}
