// A Modbus TCP connection to one host:port (a device, or a TCP-to-RS-485 converter with
// several unit ids behind it), built on modbus-serial: serialized sessions, reconnect on demand.
import ModbusRTU from 'modbus-serial';
import type { Logger } from '../lib/logger.js';
import { isModbusException, type ModbusLink, type ModbusReader, type SessionOptions } from './modbus-link.js';

type ModbusClient = InstanceType<typeof ModbusRTU.default>;

interface Connection {
  client: ModbusClient;
  /** Rejects when the connection goes away; requests race it because modbus-serial leaves
   *  in-flight requests pending until their timeout when the peer closes the socket. */
  lost: Promise<never>;
  markLost: (reason: Error) => void;
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

/** modbus-serial's destroy() calls its callback unconditionally: without one it throws. */
function destroyQuietly(client: ModbusClient): void {
  try {
    client.destroy(() => undefined);
  } catch {
    // already torn down
  }
}

export class ModbusTcpLink implements ModbusLink {
  readonly label: string;
  private connection: Connection | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly logger: Logger,
  ) {
    this.label = `tcp ${host}:${port}`;
  }

  session<T>(options: SessionOptions, work: (reader: ModbusReader) => Promise<T>): Promise<T> {
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

  private async runSession<T>(options: SessionOptions, work: (reader: ModbusReader) => Promise<T>): Promise<T> {
    if (this.closed) throw new Error(`${this.label} is closed`);
    const { client, lost } = await this.connect(options.timeoutMs);
    client.setID(options.unit);
    client.setTimeout(options.timeoutMs);
    const guarded = async <R>(request: Promise<R>): Promise<R> => {
      try {
        return await Promise.race([request, lost]);
      } catch (err) {
        // A Modbus exception is an answer: the link is fine. Anything else (timeout, reset,
        // closed) drops it: a half-open TCP connection after a 4G outage or a power cut only
        // ever shows up as timeouts, and reconnecting to a LAN device is cheap.
        if (!isModbusException(err)) this.drop(err instanceof Error ? err : new Error(String(err)));
        throw err;
      }
    };
    const reader: ModbusReader = {
      readRegisters: async (table, address, count) => {
        const result = await guarded(table === 'holding' ? client.readHoldingRegisters(address, count) : client.readInputRegisters(address, count));
        return result.data;
      },
      readBits: async (table, address, count) => {
        const result = await guarded(table === 'coil' ? client.readCoils(address, count) : client.readDiscreteInputs(address, count));
        return result.data.slice(0, count);
      },
    };
    return work(reader);
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
    client.on('error', (err) => this.logger.debug({ err, link: this.label }, 'modbus socket error'));
    client.on('close', () => {
      if (this.connection === connection) this.connection = undefined;
      markLost(new Error(`${this.label}: connection closed by the peer`));
    });
    // Do not call client.setTimeout() before connectTCP: modbus-serial also copies it into the
    // socket's idle timeout. Our own timer bounds the connect attempt instead.
    await withTimeout(client.connectTCP(this.host, { port: this.port }), timeoutMs, `connecting to ${this.label}`, () => destroyQuietly(client));
    if (this.closed) {
      destroyQuietly(client);
      throw new Error(`${this.label} is closed`);
    }
    this.connection = connection;
    this.logger.debug({ link: this.label }, 'modbus connected');
    return connection;
  }

  private drop(reason: Error): void {
    const connection = this.connection;
    if (!connection) return;
    this.connection = undefined;
    connection.markLost(reason);
    destroyQuietly(connection.client);
  }
}
