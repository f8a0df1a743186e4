// One Modbus bus reached through a modbus-serial client: a TCP endpoint, a serial port, or a
// serial server over TCP (modbus-connectors.ts). Serialized sessions, the silent interval
// between frames, protection against late answers on RTU framing, errors that say what failed,
// and reconnection on demand.
//
// Late answers: an RTU frame carries no transaction id, only unit, function and length. A slow
// device's answer arriving after its timeout would be taken for the answer to the next request
// to that device if that request had the same function and length: wrong values under the
// right names. A late answer for another unit is harmless (the client skips frames for other
// units), so after a timeout only requests to the same unit wait, until the timeout has passed
// once more (readyAt), and stale bytes are flushed before every request.
import ModbusRTU from 'modbus-serial';
import type { Logger } from '../lib/logger.js';
import { delay } from '../lib/wait.js';
import type { LinkConnector, ModbusClient } from './modbus-connectors.js';
import { describeModbusFailure, ModbusRequestError, type ModbusFaultKind } from './modbus-errors.js';
import type { ModbusLink, ModbusRequester, SessionOptions } from './modbus-link.js';

interface Connection {
  client: ModbusClient;
  /** Rejects when the connection goes away; requests race it because modbus-serial leaves
   *  in-flight requests pending until their timeout when the peer closes the socket. */
  lost: Promise<never>;
  markLost: (reason: Error) => void;
}

export interface ModbusClientLinkOptions {
  /** Extra silence between the end of one transaction and the next request (slow transceivers). */
  interRequestDelayMs?: number;
  /** Never drop the connection for timeouts (a bus scan, where silence is the normal answer). */
  keepConnectionOnTimeouts?: boolean;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string, onTimeout: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      onTimeout();
      reject(new Error(`${what} timed out after ${ms} ms`));
    }, ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/**
 * Closes a client whatever its port. modbus-serial's destroy() calls its callback
 * unconditionally (without one it throws) and only reaches ports that have a destroy(): a
 * socket does, its serial port (RTUBufferedPort) does not, and would stay open and locked, so
 * the bus could never be opened again. Those are closed instead.
 */
function destroyQuietly(client: ModbusClient): void {
  try {
    const port = (client as unknown as { _port?: { destroy?: unknown } })._port;
    if (port && typeof port.destroy !== 'function') client.close(() => undefined);
    else client.destroy(() => undefined);
  } catch {
    // already torn down
  }
}

/**
 * Drops bytes an RTU port has buffered: a late answer to a request that timed out must not be
 * taken for the answer to the next one (RTU frames carry no transaction id; modbus-serial's
 * buffered ports keep what they could not match). `_buffer` is internal to modbus-serial's
 * RTUBufferedPort and TelnetPort; if a future version renames it this does nothing.
 */
function flushStaleInput(client: ModbusClient): void {
  const port = (client as unknown as { _port?: { _buffer?: unknown } })._port;
  if (port && Buffer.isBuffer(port._buffer) && port._buffer.length > 0) port._buffer = Buffer.alloc(0);
}

export class ModbusClientLink implements ModbusLink {
  readonly label: string;
  private connection: Connection | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** performance.now() when the line last fell silent (end of the last answer or timeout). */
  private quietSince = 0;
  private consecutiveTimeouts = 0;
  private readonly gapMs: number;
  private readonly dropAfterTimeouts: number;
  /** RTU framing: unit → performance.now() until which a late answer from it may still arrive. */
  private readonly lateUntil = new Map<number, number>();

  constructor(
    private readonly connector: LinkConnector,
    private readonly logger: Logger,
    options: ModbusClientLinkOptions = {},
  ) {
    this.label = connector.label;
    this.gapMs = connector.minSilenceMs + (options.interRequestDelayMs ?? 0);
    this.dropAfterTimeouts = options.keepConnectionOnTimeouts ? Number.POSITIVE_INFINITY : connector.dropAfterTimeouts;
  }

  readyAt(unit: number): number {
    return this.lateUntil.get(unit) ?? 0;
  }

  session<T>(options: SessionOptions, work: (requester: ModbusRequester) => Promise<T>): Promise<T> {
    const run = this.queue.then(() => this.runSession(options, work));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Drops the connection (failing any request in flight at once) and refuses new sessions. */
  async close(): Promise<void> {
    this.closed = true;
    this.drop(new Error(`${this.label} closed by the gateway`));
    await this.queue;
  }

  private async runSession<T>(options: SessionOptions, work: (requester: ModbusRequester) => Promise<T>): Promise<T> {
    if (this.closed) throw new Error(`${this.label} is closed`);
    let connection: Connection;
    try {
      connection = await this.connect(options.timeoutMs);
    } catch (err) {
      // Whatever went wrong (refused, no such port, no answer to SYN), no request left.
      throw new ModbusRequestError('connection', `connection: cannot open ${this.label}: ${err instanceof Error ? err.message : String(err)}`, undefined, { cause: err });
    }
    const { client, lost } = connection;
    const request = async <R>(what: string, send: () => Promise<R>): Promise<R> => {
      const wait = Math.max(this.quietSince + this.gapMs, this.readyAt(options.unit)) - performance.now();
      if (wait > 0) await delay(wait);
      this.lateUntil.delete(options.unit);
      if (this.connector.rtuFraming) flushStaleInput(client);
      client.setID(options.unit);
      client.setTimeout(options.timeoutMs);
      try {
        const result = await Promise.race([send(), lost]);
        this.consecutiveTimeouts = 0;
        return result;
      } catch (err) {
        const failure = describeModbusFailure(err, { unit: options.unit, timeoutMs: options.timeoutMs, request: what });
        if (failure.kind === 'timeout' && this.connector.rtuFraming) this.lateUntil.set(options.unit, performance.now() + options.timeoutMs);
        this.afterFailure(failure.kind, failure);
        throw failure;
      } finally {
        this.quietSince = performance.now();
      }
    };
    const hex = (n: number) => `0x${n.toString(16).padStart(4, '0')}`;
    const requester: ModbusRequester = {
      readRegisters: async (table, address, count) => {
        const what = `read ${table} ${hex(address)}×${count}`;
        const result = await request(what, () => (table === 'holding' ? client.readHoldingRegisters(address, count) : client.readInputRegisters(address, count)));
        return result.data;
      },
      readBits: async (table, address, count) => {
        const what = `read ${table} ${hex(address)}×${count}`;
        const result = await request(what, () => (table === 'coil' ? client.readCoils(address, count) : client.readDiscreteInputs(address, count)));
        return result.data.slice(0, count);
      },
      writeRegisters: async (address, words) => {
        const what = `write holding ${hex(address)}×${words.length}`;
        await request<unknown>(what, () => (words.length === 1 ? client.writeRegister(address, words[0]!) : client.writeRegisters(address, [...words])));
      },
      writeCoil: async (address, value) => {
        await request(`write coil ${hex(address)}`, () => client.writeCoil(address, value));
      },
    };
    return work(requester);
  }

  private afterFailure(kind: ModbusFaultKind, err: Error): void {
    if (kind === 'connection') {
      this.drop(err);
    } else if (kind === 'timeout') {
      this.consecutiveTimeouts++;
      if (this.consecutiveTimeouts >= this.dropAfterTimeouts) {
        this.consecutiveTimeouts = 0;
        this.drop(err);
      }
    } else {
      // A refusal, a damaged frame or a mismatched answer: something on the other side is alive.
      this.consecutiveTimeouts = 0;
    }
  }

  private async connect(timeoutMs: number): Promise<Connection> {
    const existing = this.connection;
    if (existing && existing.client.isOpen) return existing;
    if (existing) this.drop(new Error(`${this.label} connection was closed`));

    const client = new ModbusRTU.default();
    let markLost: (reason: Error) => void = () => undefined;
    const lost = new Promise<never>((_, reject) => {
      markLost = reject;
    });
    lost.catch(() => undefined); // nobody may be racing it when it fires
    const connection: Connection = { client, lost, markLost };
    // modbus-serial turns a port error into an 'error' event; unhandled, it would kill the process.
    client.on('error', (err) => this.logger.debug({ err, link: this.label }, 'modbus port error'));
    client.on('close', () => {
      if (this.connection === connection) this.connection = undefined;
      markLost(Object.assign(new Error(`${this.label}: connection closed by the peer`), { code: 'ECONNRESET' }));
    });
    await withTimeout(this.connector.open(client), timeoutMs, `connecting to ${this.label}`, () => destroyQuietly(client));
    if (this.closed) {
      destroyQuietly(client);
      throw new Error(`${this.label} is closed`);
    }
    this.connection = connection;
    this.quietSince = performance.now();
    this.logger.debug({ link: this.label }, 'modbus connected');
    return connection;
  }

  private drop(reason: Error): void {
    const connection = this.connection;
    if (!connection) return;
    this.connection = undefined;
    // A fresh error with a code: whoever races `lost` must see a connection fault, whatever caused the drop.
    connection.markLost(Object.assign(new Error(reason.message, { cause: reason }), { code: 'ECONNRESET' }));
    destroyQuietly(connection.client);
  }
}
