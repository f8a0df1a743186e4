// `shaobing modbus read|scan`: the technician's tools at a cabinet. `read` asks one device for
// every point of its profile and prints them decoded, with units; `scan` finds which unit ids
// answer on a bus. Both use the gateway's own link, planner and decoder, so what the
// technician sees is what the gateway will publish.
import { silentLogger } from '../lib/logger.js';
import type { ModbusTransport } from '../protocol/index.js';
import { readDevice, type DeviceRead } from '../gateway/device-poller.js';
import { ModbusClientLink } from '../gateway/modbus-client-link.js';
import { connectorFor } from '../gateway/modbus-connectors.js';
import { classifyModbusError, MODBUS_EXCEPTION_NAMES, ModbusRequestError } from '../gateway/modbus-errors.js';
import { defaultProfilesDir, loadProfileLibrary } from '../gateway/profile.js';
import type { DeviceProfile, ProfilePoint } from '../gateway/profile-schema.js';
import { describeBlock, planReads, type ReadPlanOptions } from '../gateway/read-plan.js';
import { formatModbusUrl, ModbusArgumentError, parseModbusUrl, parseUnitRange } from './modbus-args.js';

/** Where output goes: results on stdout, progress and errors on stderr. */
export interface Io {
  out(line: string): void;
  err(text: string): void;
  /** Whether stderr is a terminal (a one-line counter) or a log (occasional lines). */
  errIsTty: boolean;
}

export const processIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (text) => process.stderr.write(text),
  errIsTty: Boolean(process.stderr.isTTY),
};

function openLink(transport: ModbusTransport, options: { keepOnTimeouts?: boolean } = {}): ModbusClientLink {
  return new ModbusClientLink(connectorFor(transport), silentLogger(), { interRequestDelayMs: transport.interRequestDelayMs, keepConnectionOnTimeouts: options.keepOnTimeouts });
}

// ---------------------------------------------------------------- read

export interface ReadOptions {
  url: string;
  unit: number;
  profile: string;
  json?: boolean;
  timeout: number;
  profilesDir?: string;
  maxRegisters?: number;
  maxGap?: number;
}

function describeRegister(point: ProfilePoint): string {
  const hex = `0x${point.address.toString(16).padStart(4, '0')}`;
  const scale = point.scale !== 1 ? ` ×${point.scale}` : '';
  const offset = point.offset ? ` ${point.offset > 0 ? '+' : ''}${point.offset}` : '';
  const bit = point.type === 'bool' && point.bit !== undefined ? ` bit ${point.bit}` : '';
  const order = /^(u?int(32|64)|float(32|64)|string)$/.test(point.type) && point.wordOrder !== 'ABCD' ? ` ${point.wordOrder}` : '';
  return `${point.table} ${hex} ${point.type}${bit}${order}${scale}${offset}`;
}

function formatValue(value: unknown): string {
  if (value === undefined) return '—';
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

/** Fixed-width columns; the last column is not padded. */
export function formatTable(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => [...(row[col] ?? '')].length)));
  return rows.map((row) => row.map((cell, col) => (col === row.length - 1 ? cell : cell + ' '.repeat(widths[col]! - [...cell].length))).join('  ').trimEnd());
}

/** Why a point has no value in this read, or ''. */
function missingReason(point: ProfilePoint, read: DeviceRead, refusedBy: Map<string, string>): string {
  if (point.name in read.values) return '';
  if (read.invalid.includes(point.name)) return 'no valid reading (e.g. NaN while warming up)';
  return refusedBy.get(point.name) ?? 'not read';
}

export interface ReadReport {
  url: string;
  unit: number;
  profile: string;
  ts: string;
  durationMs: number;
  requests: string[];
  values: Record<string, unknown>;
  missing: Record<string, string>;
}

/** The people-readable result of `modbus read`. Pure. */
export function formatReadReport(profile: DeviceProfile, report: ReadReport, busLabel: string): string[] {
  const rows = [['POINT', 'VALUE', 'UNIT', 'REGISTER', 'NOTE']];
  for (const point of profile.points) {
    rows.push([point.name, formatValue(report.values[point.name]), point.unit ?? '', describeRegister(point), report.missing[point.name] ?? '']);
  }
  const head = `${profile.name} (${profile.manufacturer}, ${profile.model}) on ${busLabel}, unit ${report.unit}: ${report.requests.length} request${report.requests.length === 1 ? '' : 's'}, ${report.durationMs} ms, at ${report.ts}`;
  const missing = Object.keys(report.missing).length;
  const tail = missing ? [`${missing} of ${profile.points.length} points not read.`] : [];
  return [head, ...formatTable(rows).map((line) => `  ${line}`), ...tail];
}

/** Reads every point once. Exit code: 0 all read, 3 some points missing; throws if the device does not answer. */
export async function runModbusRead(opts: ReadOptions, io: Io = processIo): Promise<number> {
  const transport = parseModbusUrl(opts.url);
  const profiles = await loadProfileLibrary(opts.profilesDir ?? defaultProfilesDir());
  const profile = profiles.get(opts.profile);
  if (!profile) throw new ModbusArgumentError(`--profile ${opts.profile}: unknown profile; known: ${[...profiles.keys()].sort().join(', ')}`);
  const planOptions: ReadPlanOptions = { maxRegisters: opts.maxRegisters, maxGapRegisters: opts.maxGap ?? 0 };
  const blocks = planReads(profile.points, planOptions);
  const link = openLink(transport);
  try {
    const started = performance.now();
    const read = await link.session({ unit: opts.unit, timeoutMs: opts.timeout }, (requester) => readDevice(requester, blocks, Date.now, planOptions));
    const used = read.replan ?? blocks;
    const refusedBy = new Map<string, string>();
    for (const line of read.refused) {
      const block = used.find((b) => line.startsWith(describeBlock(b)));
      const reason = /exception \d+ \([^)]*\)/.exec(line)?.[0] ?? line.slice(line.indexOf(': ') + 2);
      for (const point of block?.points ?? []) refusedBy.set(point.name, `refused: ${reason}`);
    }
    const missing = Object.fromEntries(profile.points.map((p) => [p.name, missingReason(p, read, refusedBy)]).filter(([, why]) => why));
    const report: ReadReport = {
      url: formatModbusUrl(transport),
      unit: opts.unit,
      profile: profile.name,
      ts: new Date(read.ts).toISOString(),
      durationMs: Math.round(performance.now() - started),
      requests: used.map(describeBlock),
      values: read.values,
      missing,
    };
    if (opts.json) io.out(JSON.stringify(report, null, 2));
    else for (const line of formatReadReport(profile, report, link.label)) io.out(line);
    return Object.keys(missing).length ? 3 : 0;
  } finally {
    await link.close();
  }
}

// ---------------------------------------------------------------- scan

export interface ScanOptions {
  url: string;
  units?: string;
  timeout: number;
  json?: boolean;
}

export type ScanAnswer = 'data' | 'exception' | 'garbled' | 'unexpected';

export interface ScanHit {
  unit: number;
  answer: ScanAnswer;
  detail: string;
}

/** What one probe's outcome says about a unit id: undefined means nobody answered. Pure. */
export function interpretProbe(outcome: { words: number[] } | { error: unknown }): Omit<ScanHit, 'unit'> | undefined {
  if ('words' in outcome) return { answer: 'data', detail: `holding 0x0000 = 0x${(outcome.words[0] ?? 0).toString(16).padStart(4, '0')}` };
  const kind = classifyModbusError(outcome.error);
  switch (kind) {
    case 'timeout':
      return undefined;
    case 'exception': {
      const code = (outcome.error as { modbusCode: number }).modbusCode;
      return { answer: 'exception', detail: `exception ${code} (${MODBUS_EXCEPTION_NAMES[code] ?? 'unknown'}): a device is there, it does not serve holding 0x0000` };
    }
    case 'crc':
      return { answer: 'garbled', detail: 'a damaged answer: something is there; check baud rate, parity, termination and A/B wiring' };
    case 'protocol':
      return { answer: 'unexpected', detail: 'an answer that does not fit the request (two devices with this id?)' };
    case 'connection':
      throw outcome.error;
  }
}

export function formatScanReport(hits: ScanHit[], scanned: number, seconds: number, busLabel: string): string[] {
  const summary = `${hits.length} unit${hits.length === 1 ? '' : 's'} answered on ${busLabel} (${scanned} unit ids probed in ${seconds.toFixed(1)} s)`;
  if (hits.length === 0) return [summary, '  nothing answered: check the URL, baud rate, parity, wiring, and that the devices are powered'];
  return [summary, ...formatTable([['UNIT', 'ANSWER', 'DETAIL'], ...hits.map((h) => [String(h.unit), h.answer, h.detail])]).map((l) => `  ${l}`)];
}

/** One read of holding 0x0000 per unit id: data or an exception both mean "a device is there". */
export async function runModbusScan(opts: ScanOptions, io: Io = processIo): Promise<number> {
  const transport = parseModbusUrl(opts.url);
  const [min, max] = transport.kind === 'tcp' ? [0, 255] : [1, 247];
  const units = parseUnitRange(opts.units ?? `${Math.max(min, 1)}-${max}`, min, max);
  // A probe that times out is the normal case here: keep the connection instead of reopening it.
  const link = openLink(transport, { keepOnTimeouts: true });
  const hits: ScanHit[] = [];
  const started = performance.now();
  let lastLine = 0;
  const progress = (done: number, unit: number) => {
    const text = `scanning ${formatModbusUrl(transport)}: unit ${unit} (${done}/${units.length}), ${hits.length} found`;
    if (io.errIsTty) io.err(`\r${text}\x1b[K`);
    else if (done === units.length || done - lastLine >= Math.max(10, Math.ceil(units.length / 10))) {
      lastLine = done;
      io.err(`${text}\n`);
    }
  };
  try {
    for (const [i, unit] of units.entries()) {
      let outcome: { words: number[] } | { error: unknown };
      try {
        outcome = { words: await link.session({ unit, timeoutMs: opts.timeout }, (r) => r.readRegisters('holding', 0, 1)) };
      } catch (error) {
        outcome = { error };
      }
      const hit = interpretProbe(outcome);
      if (hit) hits.push({ unit, ...hit });
      progress(i + 1, unit);
    }
  } finally {
    if (io.errIsTty) io.err('\n');
    await link.close();
  }
  const seconds = (performance.now() - started) / 1000;
  if (opts.json) io.out(JSON.stringify({ url: formatModbusUrl(transport), scanned: units.length, seconds: Number(seconds.toFixed(2)), found: hits }, null, 2));
  else for (const line of formatScanReport(hits, units.length, seconds, link.label)) io.out(line);
  return hits.length ? 0 : 4;
}

/**
 * Runs a subcommand and turns the failures a technician causes or meets (a bad URL, no answer,
 * no such serial port) into one line on stderr and exit code 1, instead of a stack trace.
 */
export async function runModbusCommand(name: string, run: () => Promise<number>, io: Io = processIo): Promise<number> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ModbusArgumentError || err instanceof ModbusRequestError) {
      io.err(`shaobing modbus ${name}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
