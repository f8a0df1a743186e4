// How each kind of transport opens a modbus-serial client, and the framing facts the link
// must respect: RTU framing has no transaction ids (stale bytes must go before each request)
// and needs 3.5 character times of silence between frames.
//
// RTU over TCP uses modbus-serial's connectTelnet: it writes raw RTU frames (CRC included) to
// the socket and cuts answers by expected length. connectTcpRTUBuffered, despite its name,
// wraps every request in an MBAP header, i.e. speaks Modbus TCP, which a transparent serial
// server forwards to the RS-485 line as garbage (checked in modbus-client-link.test.ts).
import ModbusRTU from 'modbus-serial';
import type { ModbusTransport } from '../protocol/index.js';
import { busLabel } from './bus-topology.js';

export type ModbusClient = InstanceType<typeof ModbusRTU.default>;

export interface LinkConnector {
  readonly label: string;
  /** Opens the port or socket of a fresh client. */
  open(client: ModbusClient): Promise<void>;
  /** RTU framing: no transaction id, so bytes left over from an earlier answer must be dropped. */
  readonly rtuFraming: boolean;
  /** Silence the line needs between frames (3.5 character times on a serial line), ms. */
  readonly minSilenceMs: number;
  /**
   * Consecutive timeouts (no answer of any kind in between, from any unit) after which the
   * connection is dropped and reopened. A socket: a half-open TCP connection after a 4G outage
   * only ever shows up as timeouts; but one dead unit behind a converter must not make every
   * other unit pay a reconnect, so one timeout between good answers is not enough. A serial
   * port: never; a dead slave is not a broken port (open/IO errors drop it instead).
   */
  readonly dropAfterTimeouts: number;
}

/** 3.5 character times at this line setting; the spec fixes 1.75 ms above 19200 baud. */
export function rtuSilenceMs(baudRate: number, bitsPerCharacter = 11): number {
  if (baudRate > 19200) return 1.75;
  return (3.5 * bitsPerCharacter * 1000) / baudRate;
}

export function connectorFor(transport: ModbusTransport): LinkConnector {
  const label = busLabel(transport);
  switch (transport.kind) {
    case 'tcp':
      return {
        label,
        rtuFraming: false,
        minSilenceMs: 0,
        dropAfterTimeouts: 2,
        // Do not call client.setTimeout() before connecting: modbus-serial copies it into the
        // socket's idle timeout. The link bounds the connect attempt with its own timer.
        open: (client) => client.connectTCP(transport.host, { port: transport.port }),
      };
    case 'rtu-over-tcp':
      return {
        label,
        rtuFraming: true,
        minSilenceMs: 0,
        dropAfterTimeouts: 2,
        open: (client) => client.connectTelnet(transport.host, { port: transport.port }),
      };
    case 'rtu': {
      const { path, baudRate, parity, dataBits, stopBits } = transport;
      // start bit + data bits + parity bit (if any) + stop bits
      const bits = 1 + dataBits + (parity === 'none' ? 0 : 1) + stopBits;
      return {
        label,
        rtuFraming: true,
        minSilenceMs: rtuSilenceMs(baudRate, bits),
        dropAfterTimeouts: Number.POSITIVE_INFINITY,
        open: (client) => client.connectRTUBuffered(path, { baudRate, parity, dataBits, stopBits }),
      };
    }
  }
}
