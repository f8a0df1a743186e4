// Modbus RTU framing for the simulated slaves: CRC-16/MODBUS, cutting request frames out of a
// byte stream, and answer frames (optionally with a damaged CRC, for fault tests). Pure.
//
// A real slave finds frame ends by 3.5 character times of silence; a pseudo-terminal or a TCP
// socket keeps no timing, so frames are cut by the length their function code implies, and a
// byte that starts no valid frame is dropped to resynchronise (what a slave does after noise).

/** CRC-16/MODBUS (poly 0xA001 reflected, init 0xFFFF); sent low byte first. */
export function crc16(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

/** `unit` + `pdu` + CRC. `damaged` flips the CRC: the frame has the right length but fails the check. */
export function rtuFrame(unit: number, pdu: Uint8Array, damaged = false): Buffer {
  const frame = Buffer.alloc(pdu.length + 3);
  frame[0] = unit;
  frame.set(pdu, 1);
  const crc = crc16(frame.subarray(0, frame.length - 2)) ^ (damaged ? 0xffff : 0);
  frame.writeUInt16LE(crc, frame.length - 2);
  return frame;
}

/**
 * Length of the request frame starting at buffer[0] (unit, function, data, CRC), undefined if
 * more bytes are needed to tell, null for a function code a request never has.
 */
export function requestFrameLength(buffer: Uint8Array): number | undefined | null {
  if (buffer.length < 2) return undefined;
  const fc = buffer[1]!;
  if (fc >= 1 && fc <= 6) return 8;
  if (fc === 15 || fc === 16) return buffer.length < 7 ? undefined : 9 + buffer[6]!;
  if (fc === 7 || fc === 11 || fc === 12 || fc === 17) return 4; // no data
  return null;
}

export interface RtuRequest {
  unit: number;
  pdu: Buffer;
}

/** Accumulates received bytes and yields whole requests with a valid CRC. */
export class RtuRequestReader {
  private buffer = Buffer.alloc(0);
  /** Bytes dropped while resynchronising (noise, damaged frames). */
  discarded = 0;

  push(chunk: Uint8Array): RtuRequest[] {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    const requests: RtuRequest[] = [];
    for (;;) {
      const length = requestFrameLength(this.buffer);
      if (length === undefined) break;
      if (length === null || length > 256) {
        this.skip(1);
        continue;
      }
      if (this.buffer.length < length) break;
      const frame = this.buffer.subarray(0, length);
      if (crc16(frame.subarray(0, length - 2)) !== frame.readUInt16LE(length - 2)) {
        this.skip(1);
        continue;
      }
      requests.push({ unit: frame[0]!, pdu: Buffer.from(frame.subarray(1, length - 2)) });
      this.buffer = this.buffer.subarray(length);
    }
    return requests;
  }

  private skip(n: number): void {
    this.discarded += n;
    this.buffer = this.buffer.subarray(n);
  }
}
