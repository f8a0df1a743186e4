// Lets ingest acknowledge a QoS 1 message only after the batch holding it is in
// the store, while still reading the next messages meanwhile.
//
// MQTT.js sends PUBACK as soon as `handleMessage` calls back, and it reads the next
// packet only after that — so holding the callback would serialise ingest to one
// message per database write. Instead we let `handleMessage` return at once and hold
// back the PUBACK packet itself until `ack()` is called. If the connection drops
// first, the held PUBACKs are discarded: the broker redelivers those messages on the
// persistent session, and the store's writes are idempotent (same series + ts).
import type { IPublishPacket, MqttClient } from 'mqtt';

type SendPacket = (packet: { cmd: string; messageId?: number }, cb?: (err?: Error) => void, ...rest: unknown[]) => void;

export interface DeliveredMessage {
  topic: string;
  payload: Buffer;
  /** Sends the PUBACK (QoS 1) now. Safe to call more than once and after a reconnect. */
  ack(): void;
}

export interface DeferredAckOptions {
  /**
   * Stop reading from the socket while messages weighing this much wait for their ack
   * (backpressure to the broker). A message weighs what onMessage returns (1 if nothing).
   */
  maxUnacked: number;
  /** Returns the message's weight, e.g. its number of samples. */
  onMessage(message: DeliveredMessage): number | void;
}

export function installDeferredAcks(client: MqttClient, options: DeferredAckOptions): { unacked(): number } {
  const internals = client as unknown as { _sendPacket: SendPacket };
  const sendPacket = internals._sendPacket.bind(client);
  // messageId → 'waiting' until MQTT.js hands us the PUBACK, then the PUBACK itself until ack().
  const held = new Map<number, { cmd: string; messageId?: number } | 'waiting'>();
  let connectionEpoch = 0;
  let heldWeight = 0;
  let resumeReading: (() => void) | undefined;

  internals._sendPacket = (packet, cb, ...rest) => {
    // A PUBACK for a message of a connection that is gone must not be queued for the
    // next one: the broker reuses message ids there, and it would ack the wrong message.
    if (packet.cmd === 'puback' && !client.connected) {
      cb?.();
      return;
    }
    if (packet.cmd === 'puback' && packet.messageId !== undefined && held.get(packet.messageId) === 'waiting') {
      held.set(packet.messageId, packet);
      cb?.();
      return;
    }
    sendPacket(packet, cb, ...rest);
  };

  client.on('close', () => {
    connectionEpoch++;
    held.clear();
    heldWeight = 0;
    releaseReading();
  });

  function releaseReading(): void {
    const resume = resumeReading;
    resumeReading = undefined;
    resume?.();
  }

  client.handleMessage = (packet: IPublishPacket, callback) => {
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    const qos1 = packet.qos === 1 && packet.messageId !== undefined;
    const messageId = packet.messageId ?? -1;
    const epoch = connectionEpoch;
    if (qos1) held.set(messageId, 'waiting');
    let acked = false;
    let weight = 0;
    const returned = options.onMessage({
      topic: packet.topic,
      payload,
      ack: () => {
        if (acked || !qos1 || epoch !== connectionEpoch) return;
        acked = true;
        const pending = held.get(messageId);
        held.delete(messageId);
        if (pending && pending !== 'waiting') internals._sendPacket(pending);
        heldWeight -= weight;
        if (heldWeight < options.maxUnacked) releaseReading();
      },
    });
    if (qos1 && !acked) {
      weight = typeof returned === 'number' ? returned : 1;
      heldWeight += weight;
    }
    if (heldWeight >= options.maxUnacked) resumeReading = () => callback();
    else callback();
  };

  return { unacked: () => held.size };
}
