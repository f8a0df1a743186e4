// Simulated RS-485 slaves on a serial line: several units (profiles) on one port, answering
// Modbus RTU frames, with faults on demand. Without hardware the port is one end of a socat
// pseudo-terminal pair (pty-pair.ts); with a USB RS-485 adapter it is a real bus.
import { SerialPort } from 'serialport';
import type { Logger } from '../../lib/logger.js';
import type { Fault } from './faults.js';
import { RtuRequestReader, rtuFrame } from './rtu-framing.js';
import { SimulatedBus, type SimulatedDeviceSpec } from './simulated-bus.js';

export interface RtuSimulatorOptions {
  path: string;
  devices: SimulatedDeviceSpec[];
  baudRate?: number;
  parity?: 'none' | 'even' | 'odd';
  dataBits?: 7 | 8;
  stopBits?: 1 | 2;
  clock?: () => number;
  logger?: Logger;
}

export interface RtuSimulator {
  readonly path: string;
  readonly bus: SimulatedBus;
  /** Bytes dropped as noise (no frame with a valid CRC started there). */
  readonly discardedBytes: number;
  setFault(unit: number, fault: Fault): void;
  close(): Promise<void>;
}

function open(port: SerialPort): Promise<void> {
  return new Promise((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
}

export async function startRtuSimulator(options: RtuSimulatorOptions): Promise<RtuSimulator> {
  const bus = new SimulatedBus(options.devices, options.clock ?? Date.now);
  const port = new SerialPort({
    path: options.path,
    baudRate: options.baudRate ?? 9600,
    parity: options.parity ?? 'none',
    dataBits: options.dataBits ?? 8,
    stopBits: options.stopBits ?? 1,
    autoOpen: false,
  });
  port.on('error', (err) => options.logger?.warn({ err, path: options.path }, 'simulated RTU port error'));
  await open(port);
  const reader = new RtuRequestReader();
  // One slave transmits at a time on a half-duplex line: answers go out in request order.
  let queue: Promise<void> = Promise.resolve();
  port.on('data', (chunk: Buffer) => {
    for (const { unit, pdu } of reader.push(chunk)) {
      queue = queue.then(async () => {
        const answer = await bus.handle(unit, pdu);
        if (answer && port.isOpen) port.write(rtuFrame(unit, answer.pdu, answer.garble));
      });
    }
  });
  options.logger?.info({ path: options.path, units: bus.units() }, 'modbus RTU simulator listening');

  let closing: Promise<void> | undefined;
  return {
    path: options.path,
    bus,
    get discardedBytes() {
      return reader.discarded;
    },
    setFault: (unit, fault) => bus.setFault(unit, fault),
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        if (!port.isOpen) return resolve();
        port.close(() => resolve());
      })),
  };
}
