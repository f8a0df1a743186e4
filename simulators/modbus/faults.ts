// Faults a simulated device can show on demand, and their CLI spelling. Pure.
//
//   silent            no answer at all (device off, wrong unit id, broken wiring)
//   slow:MS           answers MS milliseconds late (a busy PLC, a long radio hop)
//   exception:CODE    answers with Modbus exception CODE (e.g. 2 illegal address, 6 busy)
//   garble            answers a damaged frame: bad CRC on RTU; on Modbus TCP, which has no
//                     CRC, a wrong function code (the client sees an answer that does not fit)

export type Fault =
  | { kind: 'none' }
  | { kind: 'silent' }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'exception'; code: number }
  | { kind: 'garble' };

export const NO_FAULT: Fault = { kind: 'none' };

export const FAULT_SYNTAX = 'UNIT:silent | UNIT:slow:MS | UNIT:exception:CODE | UNIT:garble | UNIT:none';

/** `silent`, `slow:800`, `exception:6`, `garble`, `none`. */
export function parseFault(text: string): Fault {
  const [kind, arg, extra] = text.trim().split(':');
  const number = (what: string, min: number, max: number): number => {
    const n = Number(arg);
    if (arg === undefined || arg === '' || !Number.isInteger(n) || n < min || n > max) throw new Error(`fault "${text}": ${what} must be an integer from ${min} to ${max}`);
    return n;
  };
  if (extra !== undefined) throw new Error(`fault "${text}": too many parts`);
  switch (kind) {
    case 'none':
    case 'silent':
    case 'garble':
      if (arg !== undefined) throw new Error(`fault "${text}": ${kind} takes no argument`);
      return { kind };
    case 'slow':
      return { kind, delayMs: number('slow:MS delay', 1, 600_000) };
    case 'exception':
      return { kind, code: number('exception:CODE', 1, 255) };
    default:
      throw new Error(`fault "${text}": unknown kind "${kind ?? ''}" (one of silent, slow:MS, exception:CODE, garble, none)`);
  }
}

/** `3:slow:800` → unit 3, slow 800 ms. */
export function parseUnitFault(text: string): { unit: number; fault: Fault } {
  const colon = text.indexOf(':');
  const unit = Number(text.slice(0, colon));
  if (colon < 1 || !Number.isInteger(unit) || unit < 0 || unit > 255) throw new Error(`fault "${text}": expected ${FAULT_SYNTAX}`);
  return { unit, fault: parseFault(text.slice(colon + 1)) };
}

export function describeFault(fault: Fault): string {
  switch (fault.kind) {
    case 'none':
    case 'silent':
    case 'garble':
      return fault.kind;
    case 'slow':
      return `slow:${fault.delayMs}`;
    case 'exception':
      return `exception:${fault.code}`;
  }
}
