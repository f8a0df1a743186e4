// Commands from the API to a gateway over MQTT: publish on the gateway's command topic
// (QoS 1, not retained: a retained command would run again on every reconnect) with a fresh
// id, and wait a bounded time for the gateway's `command-result` event with that id.
// The api account may publish commands and subscribe to events (broker/acl.ts).
import { randomUUID } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import {
  commandResultDataSchema, commandSchema, decodeJson, eventSchema, filters, parseTopic, topics,
  type Command, type CommandResultData, type GatewayRef,
} from '../protocol/index.js';
import type { Logger } from '../lib/logger.js';
import type { MqttTlsMaterial } from '../lib/mqtt-tls.js';
import { connectService } from '../lib/service-mqtt.js';
import { subscribeOnEveryConnect } from '../lib/mqtt-subscribe.js';

/** A command as the caller describes it: the client adds the protocol head (v, id, ts). */
export type CommandBody = Command extends infer C ? (C extends Command ? Omit<C, 'v' | 'id' | 'ts'> : never) : never;

export type CommandOutcome =
  | { id: string; status: 'ok' | 'failed'; result: CommandResultData & Record<string, unknown>; message?: string }
  | { id: string; status: 'timeout' }
  /** The broker did not take the command (the API is disconnected from it, or it refused). */
  | { id: string; status: 'not-sent'; error: string };

export interface CommandClient {
  readonly ready: Promise<void>;
  connected(): boolean;
  send(ref: GatewayRef, body: CommandBody, options?: { timeoutMs?: number }): Promise<CommandOutcome>;
  close(): Promise<void>;
}

export function newCommandId(): string {
  return `api-${randomUUID()}`;
}

export function connectCommandClient(
  options: { url: string; username: string; password: string; clientId: string; tls?: MqttTlsMaterial | undefined; timeoutMs?: number },
  logger: Logger,
): CommandClient {
  const defaultTimeoutMs = options.timeoutMs ?? 10_000;
  const waiting = new Map<string, (outcome: CommandOutcome) => void>();
  const client: MqttClient = connectService(options);

  client.on('message', (topic, payload) => {
    const parsed = parseTopic(topic);
    if (!parsed || parsed.kind !== 'gateway' || parsed.channel !== 'event' || waiting.size === 0) return;
    const event = decodeJson(eventSchema, payload, 64 * 1024);
    if (!event.ok || event.value.type !== 'command-result') return;
    const data = commandResultDataSchema.passthrough().safeParse(event.value.data);
    if (!data.success || data.data.id === null) return;
    const key = `${parsed.site}/${parsed.gateway}/${data.data.id}`;
    const resolve = waiting.get(key);
    if (!resolve) return;
    waiting.delete(key);
    resolve({ id: data.data.id, status: data.data.ok ? 'ok' : 'failed', result: data.data, message: event.value.message });
  });

  const ready = subscribeOnEveryConnect(client, filters.allEvents, logger, 'api (command results)');
  client.on('error', (err) => logger.warn({ err: err.message }, 'api command client MQTT error'));

  return {
    ready,
    connected: () => client.connected,
    async send(ref, body, sendOptions = {}) {
      const id = newCommandId();
      const command = commandSchema.parse({ v: 1, id, ts: Date.now(), ...body });
      const key = `${ref.site}/${ref.gateway}/${id}`;
      const timeoutMs = sendOptions.timeoutMs ?? defaultTimeoutMs;
      if (!client.connected) return { id, status: 'not-sent', error: 'the API is not connected to the broker' };
      const outcome = new Promise<CommandOutcome>((resolve) => {
        const timer = setTimeout(() => settle({ id, status: 'timeout' }), timeoutMs);
        function settle(result: CommandOutcome): void {
          clearTimeout(timer);
          waiting.delete(key);
          resolve(result);
        }
        waiting.set(key, settle);
      });
      // Not awaited: the outcome's timer bounds the wait even if the broker never acknowledges.
      client.publish(topics.command(ref), JSON.stringify(command), { qos: 1, retain: false }, (err) => {
        if (err) waiting.get(key)?.({ id, status: 'not-sent', error: err.message });
      });
      logger.info({ site: ref.site, gateway: ref.gateway, id, type: command.type }, 'command sent');
      return outcome;
    },
    async close() {
      for (const [key, settle] of [...waiting]) settle({ id: key.split('/')[2]!, status: 'not-sent', error: 'the API is stopping' });
      await client.endAsync(true);
    },
  };
}
