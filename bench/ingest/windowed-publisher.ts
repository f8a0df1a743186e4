// One gateway's publishing loop: QoS 1 messages as fast as the broker acknowledges
// them, never more than `window` awaiting their PUBACK (as the gateway's outbox
// replay does). Counts what the broker acknowledged and what failed.
import type { MqttClient } from 'mqtt';
import type { OutgoingMessage } from './synthetic-telemetry.js';

export interface PublisherCounts {
  messages: number;
  readings: number;
  failed: number;
  firstError?: string;
}

export class WindowedPublisher {
  private inflight = 0;
  private running = false;
  private counts: PublisherCounts = { messages: 0, readings: 0, failed: 0 };
  private drained: (() => void) | undefined;

  constructor(
    private readonly client: MqttClient,
    private readonly nextMessage: () => OutgoingMessage,
    private readonly window: number,
  ) {}

  start(): void {
    this.counts = { messages: 0, readings: 0, failed: 0 };
    this.running = true;
    this.fill();
  }

  /** Stops sending new messages; resolves once every message in flight is acknowledged (or failed). */
  stop(): Promise<PublisherCounts> {
    this.running = false;
    if (this.inflight === 0) return Promise.resolve(this.counts);
    return new Promise((resolve) => {
      this.drained = () => resolve(this.counts);
    });
  }

  private fill(): void {
    while (this.running && this.inflight < this.window) this.publishOne();
  }

  private publishOne(): void {
    const message = this.nextMessage();
    this.inflight++;
    this.client.publish(message.topic, message.payload, { qos: 1 }, (err) => {
      this.inflight--;
      if (err) {
        this.counts.failed++;
        this.counts.firstError ??= err.message;
      } else {
        this.counts.messages++;
        this.counts.readings += message.samples;
      }
      if (this.running) this.fill();
      else if (this.inflight === 0) this.drained?.();
    });
  }
}
