// The simulated devices behind one endpoint (a TCP port or a serial line): which unit ids
// answer, with which profile, and which fault each shows right now. Framing-free: the servers
// hand it a unit id and a request PDU and send back what it returns. Counts what it saw, so
// tests can check poll rates and request coalescing from the device's side of the wire.
import { delay } from '../../lib/wait.js';
import type { DeviceProfile, ProfilePoint } from '../../gateway/profile-schema.js';
import { NO_FAULT, type Fault } from './faults.js';
import { answerPdu, answerRequest, describeRequest, exceptionPdu, parseRequestPdu, type PduRequest } from './modbus-pdu.js';
import { quantizedValue, SimulatedRegisterMap, type UnmappedPolicy } from './register-map.js';
import { simulatedValue, type SimulatedValue } from './value-model.js';

export interface SimulatedDeviceSpec {
  /** 1–247 on RTU; 0 answers every unit id (a lone Modbus TCP device that ignores the id). */
  unit: number;
  profile: DeviceProfile;
  /** Seed of the value model (default 1). Same seed and time, same values. */
  seed?: number;
  unmapped?: UnmappedPolicy;
}

export interface SimulatedDevice {
  readonly unit: number;
  readonly profile: DeviceProfile;
  readonly seed: number;
  readonly map: SimulatedRegisterMap;
  /** What a Modbus reader decodes for the point at `timeMs` (written values included). */
  valueAt(pointName: string, timeMs: number): SimulatedValue;
  /** The model's value before register resolution. */
  modelValueAt(pointName: string, timeMs: number): SimulatedValue;
  /** Scripts the point's value (engineering units) until changed again; `undefined` hands it back to the model. */
  setValue(pointName: string, value: SimulatedValue | undefined): void;
}

export interface SeenRequest {
  unit: number;
  /** performance.now() when the request arrived. */
  at: number;
  request: string;
  outcome: 'answered' | 'exception' | 'garbled' | 'silent' | 'no such unit' | 'broadcast';
}

export interface UnitCounters {
  requests: number;
  answered: number;
  exceptions: number;
  garbled: number;
  silent: number;
}

/** What to send back: a PDU (possibly to be damaged by the framing), or nothing. */
export type BusAnswer = { pdu: Buffer; garble: boolean } | undefined;

const LOG_LIMIT = 10_000;

function makeDevice(spec: SimulatedDeviceSpec): SimulatedDevice {
  const seed = spec.seed ?? 1;
  const map = new SimulatedRegisterMap(spec.profile, seed, spec.unmapped ?? 'exception');
  const pointNamed = (name: string): ProfilePoint => {
    const point = spec.profile.points.find((p) => p.name === name);
    if (!point) throw new Error(`profile ${spec.profile.name} has no point "${name}"`);
    return point;
  };
  return {
    unit: spec.unit,
    profile: spec.profile,
    seed,
    map,
    valueAt: (name, timeMs) => {
      const point = pointNamed(name);
      return quantizedValue(point, map.valueOf(point, timeMs));
    },
    modelValueAt: (name, timeMs) => simulatedValue(pointNamed(name), seed, timeMs),
    setValue: (name, value) => map.override(pointNamed(name), value),
  };
}

export class SimulatedBus {
  private readonly devices = new Map<number, SimulatedDevice>();
  private readonly faults = new Map<number, Fault>();
  private readonly counters = new Map<number, UnitCounters>();
  /** The most recent requests, oldest first (bounded). */
  readonly log: SeenRequest[] = [];

  constructor(
    specs: readonly SimulatedDeviceSpec[],
    private readonly clock: () => number = Date.now,
  ) {
    if (specs.length === 0) throw new Error('a simulated bus needs at least one device');
    for (const spec of specs) {
      if (this.devices.has(spec.unit)) throw new Error(`unit ${spec.unit} is simulated twice`);
      this.devices.set(spec.unit, makeDevice(spec));
    }
  }

  /** The device answering `unit` (a unit-0 device answers every id). */
  device(unit: number): SimulatedDevice | undefined {
    return this.devices.get(unit) ?? this.devices.get(0);
  }

  units(): number[] {
    return [...this.devices.keys()];
  }

  /** Sets the fault a unit shows from the next request on ({kind: 'none'} clears it). */
  setFault(unit: number, fault: Fault): void {
    if (fault.kind === 'none') this.faults.delete(unit);
    else this.faults.set(unit, fault);
  }

  faultOf(unit: number): Fault {
    return this.faults.get(unit) ?? NO_FAULT;
  }

  stats(unit: number): UnitCounters {
    return { ...(this.counters.get(unit) ?? { requests: 0, answered: 0, exceptions: 0, garbled: 0, silent: 0 }) };
  }

  /** Handles one request; resolves (after any simulated slowness) with the answer or nothing. */
  async handle(unit: number, pdu: Buffer): Promise<BusAnswer> {
    const at = performance.now();
    let request: PduRequest | undefined;
    try {
      request = parseRequestPdu(pdu);
    } catch {
      // malformed: answerPdu() below answers it with its exception
    }
    const label = request ? describeRequest(request) : `function ${pdu[0] ?? '?'}`;
    const seen = (outcome: SeenRequest['outcome']) => {
      this.log.push({ unit, at, request: label, outcome });
      if (this.log.length > LOG_LIMIT) this.log.splice(0, this.log.length - LOG_LIMIT);
    };
    if (unit === 0) {
      // Broadcast: every device executes a write, nobody answers (Modbus spec §4.1).
      if (request && (request.fc === 5 || request.fc === 6 || request.fc === 15 || request.fc === 16)) {
        const now = this.clock();
        for (const device of this.devices.values()) answerRequest(device.map, request, now);
      }
      seen('broadcast');
      return undefined;
    }
    const device = this.device(unit);
    if (!device) {
      seen('no such unit');
      return undefined;
    }
    const counters = this.counters.get(unit) ?? { requests: 0, answered: 0, exceptions: 0, garbled: 0, silent: 0 };
    this.counters.set(unit, counters);
    counters.requests++;
    const fault = this.faultOf(unit);
    if (fault.kind === 'silent') {
      counters.silent++;
      seen('silent');
      return undefined;
    }
    // The device measures when asked and answers late: the value is that of the request time.
    let answer = answerPdu(device.map, pdu, this.clock());
    if (fault.kind === 'exception') answer = exceptionPdu(pdu[0] ?? 0, fault.code);
    if (fault.kind === 'slow') await delay(fault.delayMs);
    const isException = (answer[0]! & 0x80) !== 0;
    if (fault.kind === 'garble') {
      counters.garbled++;
      seen('garbled');
    } else if (isException) {
      counters.exceptions++;
      seen('exception');
    } else {
      counters.answered++;
      seen('answered');
    }
    return { pdu: answer, garble: fault.kind === 'garble' };
  }
}
