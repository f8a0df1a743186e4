// The v1 MQTT topic scheme (ARCHITECTURE.md): building topics, parsing them back and
// the subscription filters the backend uses. Site, gateway and device names travel
// only in the topic, so the broker's ACL decides who may write under which name.

export const TOPIC_PREFIX = 'sb/v1';

/** Site, gateway, device and camera ids: lowercase, digits and dashes, 1–64 chars. */
export const ID_PATTERN = /^[a-z0-9-]{1,64}$/;

export type GatewayChannel = 'telemetry' | 'status' | 'event' | 'snapshot' | 'config' | 'command';

export interface GatewayRef { site: string; gateway: string }

export function isValidId(id: string): boolean {
  return ID_PATTERN.test(id);
}

function requireId(kind: string, id: string): string {
  if (!isValidId(id)) throw new Error(`invalid ${kind} id "${id}": must match ${ID_PATTERN}`);
  return id;
}

export function gatewayTopic(ref: GatewayRef, channel: GatewayChannel, device?: string): string {
  const base = `${TOPIC_PREFIX}/gw/${requireId('site', ref.site)}/${requireId('gateway', ref.gateway)}/${channel}`;
  const needsDevice = channel === 'telemetry' || channel === 'event' || channel === 'snapshot';
  if (needsDevice) {
    if (device === undefined) throw new Error(`topic channel "${channel}" needs a device id`);
    return `${base}/${requireId('device', device)}`;
  }
  return base;
}

export const topics = {
  telemetry: (ref: GatewayRef, device: string) => gatewayTopic(ref, 'telemetry', device),
  status: (ref: GatewayRef) => gatewayTopic(ref, 'status'),
  event: (ref: GatewayRef, device: string) => gatewayTopic(ref, 'event', device),
  snapshot: (ref: GatewayRef, camera: string) => gatewayTopic(ref, 'snapshot', camera),
  config: (ref: GatewayRef) => gatewayTopic(ref, 'config'),
  command: (ref: GatewayRef) => gatewayTopic(ref, 'command'),
  alarm: (site: string, device: string) => `${TOPIC_PREFIX}/alarm/${requireId('site', site)}/${requireId('device', device)}`,
};

/** Subscription filters used by the backend services. */
export const filters = {
  allTelemetry: `${TOPIC_PREFIX}/gw/+/+/telemetry/+`,
  allStatus: `${TOPIC_PREFIX}/gw/+/+/status`,
  allEvents: `${TOPIC_PREFIX}/gw/+/+/event/+`,
  allSnapshots: `${TOPIC_PREFIX}/gw/+/+/snapshot/+`,
  allAlarms: `${TOPIC_PREFIX}/alarm/+/+`,
};

export type ParsedTopic =
  | { kind: 'gateway'; site: string; gateway: string; channel: GatewayChannel; device?: string }
  | { kind: 'alarm'; site: string; device: string };

const CHANNELS_WITH_DEVICE = new Set<GatewayChannel>(['telemetry', 'event', 'snapshot']);
const CHANNELS_WITHOUT_DEVICE = new Set<GatewayChannel>(['status', 'config', 'command']);

/** Parses a v1 topic; returns undefined for anything outside the scheme. */
export function parseTopic(topic: string): ParsedTopic | undefined {
  const parts = topic.split('/');
  if (parts[0] !== 'sb' || parts[1] !== 'v1') return undefined;
  if (parts[2] === 'alarm' && parts.length === 5) {
    const [, , , site, device] = parts as [string, string, string, string, string];
    return isValidId(site) && isValidId(device) ? { kind: 'alarm', site, device } : undefined;
  }
  if (parts[2] !== 'gw' || parts.length < 6 || parts.length > 7) return undefined;
  const [, , , site, gateway, channel, device] = parts as [string, string, string, string, string, string, string | undefined];
  if (!isValidId(site) || !isValidId(gateway)) return undefined;
  const ch = channel as GatewayChannel;
  if (device === undefined) {
    return CHANNELS_WITHOUT_DEVICE.has(ch) ? { kind: 'gateway', site, gateway, channel: ch } : undefined;
  }
  return CHANNELS_WITH_DEVICE.has(ch) && isValidId(device) ? { kind: 'gateway', site, gateway, channel: ch, device } : undefined;
}
