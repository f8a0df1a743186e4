// Refuses oversized MQTT packets as soon as their fixed header arrives. aedes 1.2
// (and its parser, mqtt-packet) has no size limit: it would buffer a packet of up
// to 256 MiB, the protocol's maximum, until it is complete.
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';

/**
 * Follows packet boundaries in an MQTT byte stream (fixed header: one type byte,
 * then the remaining length as a 1–4 byte varint) without decoding anything else.
 */
export class MqttPacketSizeScanner {
  private state: 'type' | 'length' | 'body' | 'stopped' = 'type';
  private remainingLength = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private bodyLeft = 0;

  constructor(private readonly maxPacketBytes: number) {}

  /** Feeds the next chunk; returns the total size of a packet over the limit, if one starts here. */
  push(chunk: Uint8Array): number | undefined {
    let i = 0;
    while (i < chunk.length && this.state !== 'stopped') {
      if (this.state === 'type') {
        i++;
        this.state = 'length';
        this.remainingLength = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
      } else if (this.state === 'length') {
        const byte = chunk[i++]!;
        this.remainingLength += (byte & 0x7f) * this.multiplier;
        this.multiplier *= 128;
        this.lengthBytes++;
        if (byte & 0x80) {
          // A fifth length byte is malformed: the MQTT parser reports that itself.
          if (this.lengthBytes === 4) this.state = 'stopped';
          continue;
        }
        const total = 1 + this.lengthBytes + this.remainingLength;
        if (total > this.maxPacketBytes) {
          this.state = 'stopped';
          return total;
        }
        this.bodyLeft = this.remainingLength;
        this.state = this.bodyLeft > 0 ? 'body' : 'type';
      } else {
        const taken = Math.min(this.bodyLeft, chunk.length - i);
        i += taken;
        this.bodyLeft -= taken;
        if (this.bodyLeft === 0) this.state = 'type';
      }
    }
    return undefined;
  }
}

/**
 * A socket seen through the scanner: aedes reads and writes this instead of the
 * socket, and an oversized packet never reaches its parser. (A 'data' listener on
 * the socket itself would see the chunk only as aedes reads it, too late to stop
 * a packet that fits in one chunk.)
 */
export class SizeLimitedConnection extends Duplex {
  constructor(private readonly socket: Socket, maxPacketBytes: number, onOversized: (size: number) => void) {
    super({ allowHalfOpen: false });
    const scanner = new MqttPacketSizeScanner(maxPacketBytes);
    socket.on('data', (chunk: Buffer) => {
      const oversized = scanner.push(chunk);
      if (oversized !== undefined) {
        onOversized(oversized);
        this.destroy();
        return;
      }
      if (!this.push(chunk)) socket.pause();
    });
    socket.once('end', () => this.push(null));
    socket.once('error', (err) => this.destroy(err));
    socket.once('close', () => this.destroy());
  }

  /** The peer, for logs (aedes' client.conn is this object, not the socket). */
  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.socket.write(chunk)) callback();
    else this.socket.once('drain', () => callback());
  }

  // mqtt-packet writes a packet in several pieces: keep them in one TCP segment where it can.
  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    this.socket.cork();
    let flushed = true;
    for (const { chunk } of chunks) flushed = this.socket.write(chunk);
    this.socket.uncork();
    if (flushed) callback();
    else this.socket.once('drain', () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end(() => callback());
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy();
    callback(error);
  }
}
