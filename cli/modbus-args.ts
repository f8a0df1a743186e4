// The technician's way of naming a Modbus bus and a set of unit ids on the command line, parsed
// into the gateway's transport config. Pure; every error names what is wrong and shows the form.
//
//   tcp://10.0.0.5[:502]                         Modbus TCP (port 502 by default)
//   rtu:///dev/ttyUSB0?baud=9600&parity=none     Modbus RTU on a serial port
//        options: baud, parity (none|even|odd), dataBits (7|8), stopBits (1|2), or format=8N1
//   rtu+tcp://10.0.0.7:4001                      RTU frames through a TCP serial server
import { describeIssues, modbusTransportSchema, type ModbusTransport } from '../protocol/index.js';

export const URL_FORMS = 'tcp://HOST[:PORT], rtu:///dev/ttyUSB0?baud=9600&parity=none, rtu+tcp://HOST:PORT';

export class ModbusArgumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModbusArgumentError';
  }
}

function fail(url: string, why: string): never {
  throw new ModbusArgumentError(`--url ${url}: ${why}`);
}

function port(url: string, text: string, required: boolean): number | undefined {
  if (text === '') {
    if (required) fail(url, 'needs a port, e.g. rtu+tcp://10.0.0.7:4001 (serial servers have no standard port)');
    return undefined;
  }
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 65535) fail(url, `port ${text} is not 1–65535`);
  return n;
}

const PARITY: Record<string, 'none' | 'even' | 'odd'> = { none: 'none', n: 'none', even: 'even', e: 'even', odd: 'odd', o: 'odd' };

function serialOptions(url: string, params: URLSearchParams): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const [key, value] of params) {
    switch (key) {
      case 'baud':
      case 'baudRate':
        options.baudRate = Number(value);
        break;
      case 'parity':
        if (!(value.toLowerCase() in PARITY)) fail(url, `parity ${value} is not none, even or odd`);
        options.parity = PARITY[value.toLowerCase()];
        break;
      case 'dataBits':
        options.dataBits = Number(value);
        break;
      case 'stopBits':
        options.stopBits = Number(value);
        break;
      case 'format': {
        const match = /^([78])([NEO])([12])$/i.exec(value);
        if (!match) fail(url, `format ${value} is not like 8N1, 8E1 or 7E2`);
        Object.assign(options, { dataBits: Number(match[1]), parity: PARITY[match[2]!.toLowerCase()], stopBits: Number(match[3]) });
        break;
      }
      default:
        fail(url, `unknown option "${key}" (rtu options: baud, parity, dataBits, stopBits, format)`);
    }
  }
  return options;
}

/** `tcp://…`, `rtu:///dev/…?…` or `rtu+tcp://…` → the transport config the gateway uses. */
export function parseModbusUrl(url: string): ModbusTransport {
  const scheme = /^([a-z0-9+]+):/i.exec(url)?.[1]?.toLowerCase();
  if (!scheme) fail(url, `not a bus URL; use one of ${URL_FORMS}`);
  let raw: Record<string, unknown>;
  if (scheme === 'rtu') {
    // rtu:///dev/ttyUSB0 (empty host) or rtu:/dev/ttyUSB0; not rtu://dev/ttyUSB0 (host "dev").
    const match = /^rtu:(?:\/\/(?=\/)|(?!\/\/))(\/[^?#]*)(?:\?([^#]*))?$/i.exec(url);
    if (!match) {
      const hint = /^rtu:\/\/[^/]/i.test(url) ? `; did you mean rtu:///${url.replace(/^rtu:\/\//i, '')} (three slashes before an absolute path)?` : '';
      fail(url, `an RTU URL names a serial device by its absolute path, e.g. rtu:///dev/ttyUSB0${hint}`);
    }
    const path = decodeURIComponent(match[1]!);
    if (path === '/') fail(url, 'names no serial device, e.g. rtu:///dev/ttyUSB0');
    raw = { kind: 'rtu', path, ...serialOptions(url, new URLSearchParams(match[2] ?? '')) };
  } else if (scheme === 'tcp' || scheme === 'rtu+tcp') {
    const match = /^[a-z+]+:\/\/(\[[^\]]+\]|[^/:?#]*)(?::([^/?#]*))?\/?(\?.*)?$/i.exec(url);
    if (!match) fail(url, `expected ${scheme}://HOST${scheme === 'tcp' ? '[:PORT]' : ':PORT'}`);
    const host = match[1]!.replace(/^\[|\]$/g, '');
    if (!host) fail(url, 'names no host');
    if (match[3]) fail(url, `${scheme} takes no options (${match[3]})`);
    const given = port(url, match[2] ?? '', scheme === 'rtu+tcp');
    raw = { kind: scheme === 'tcp' ? 'tcp' : 'rtu-over-tcp', host, ...(given !== undefined ? { port: given } : {}) };
  } else {
    fail(url, `unknown scheme "${scheme}:"; use one of ${URL_FORMS}`);
  }
  const parsed = modbusTransportSchema.safeParse(raw);
  if (!parsed.success) fail(url, describeIssues(parsed.error));
  return parsed.data;
}

/** The URL of a transport (for messages and JSON output): the inverse of parseModbusUrl. */
export function formatModbusUrl(transport: ModbusTransport): string {
  switch (transport.kind) {
    case 'tcp':
      return `tcp://${transport.host}:${transport.port}`;
    case 'rtu-over-tcp':
      return `rtu+tcp://${transport.host}:${transport.port}`;
    case 'rtu':
      return `rtu://${transport.path}?baud=${transport.baudRate}&format=${transport.dataBits}${transport.parity[0]!.toUpperCase()}${transport.stopBits}`;
  }
}

/** `1-247`, `1,3,5-7` → sorted unique unit ids within min..max. */
export function parseUnitRange(text: string, min = 1, max = 247): number[] {
  const units = new Set<number>();
  for (const part of text.split(',').map((p) => p.trim())) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!match) throw new ModbusArgumentError(`--units ${text}: "${part}" is not a unit id or a range such as 1-247`);
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    if (from > to) throw new ModbusArgumentError(`--units ${text}: range ${part} runs backwards`);
    if (from < min || to > max) throw new ModbusArgumentError(`--units ${text}: unit ids on this bus are ${min}–${max}`);
    for (let unit = from; unit <= to; unit++) units.add(unit);
  }
  return [...units].sort((a, b) => a - b);
}
