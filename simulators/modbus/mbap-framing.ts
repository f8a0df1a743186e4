// Modbus TCP framing (the MBAP header: transaction id, protocol 0, length, unit id) for the
// simulated devices: cutting requests out of a TCP stream and wrapping answers. Pure.

export interface MbapRequest {
  transactionId: number;
  unit: number;
  pdu: Buffer;
}

const HEADER = 7;

export function mbapFrame(transactionId: number, unit: number, pdu: Uint8Array): Buffer {
  const frame = Buffer.alloc(HEADER + pdu.length);
  frame.writeUInt16BE(transactionId, 0);
  frame.writeUInt16BE(0, 2);
  frame.writeUInt16BE(pdu.length + 1, 4);
  frame[6] = unit;
  frame.set(pdu, HEADER);
  return frame;
}

/** Accumulates bytes from one TCP connection; `push` returns complete requests. */
export class MbapRequestReader {
  private buffer = Buffer.alloc(0);

  /** Throws on a header no Modbus TCP client sends (the connection should be closed). */
  push(chunk: Uint8Array): MbapRequest[] {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    const requests: MbapRequest[] = [];
    while (this.buffer.length >= HEADER) {
      const protocol = this.buffer.readUInt16BE(2);
      const length = this.buffer.readUInt16BE(4);
      if (protocol !== 0 || length < 2 || length > 254) throw new Error(`not a Modbus TCP frame (protocol ${protocol}, length ${length})`);
      if (this.buffer.length < 6 + length) break;
      requests.push({ transactionId: this.buffer.readUInt16BE(0), unit: this.buffer[6]!, pdu: Buffer.from(this.buffer.subarray(HEADER, 6 + length)) });
      this.buffer = this.buffer.subarray(6 + length);
    }
    return requests;
  }
}
