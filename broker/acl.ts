// Topic access control: which account may publish or subscribe where. Pure logic
// over the v1 topic scheme (protocol/topics.ts), kept as one table so a reviewer
// can read every permission in one place; the broker hooks only ask it.
import { parseTopic, TOPIC_PREFIX, type GatewayChannel, type ParsedTopic } from '../protocol/index.js';
import type { AccountRole } from './accounts.js';

/** The part of an account the ACL needs: never the password hash. */
export type AclSubject =
  | { role: 'gateway'; site: string; gateway: string }
  | { role: 'ingest' | 'api' };

export type AclAction = 'publish' | 'subscribe';

export type AclDecision = { allowed: true } | { allowed: false; reason: string };

/** What a topic is about: one gateway channel, or the alarm namespace. */
export type TopicKind = GatewayChannel | 'alarm';

interface Grant {
  /** `own`: only the gateway's own `sb/v1/gw/{site}/{gateway}/…`, written out (no wildcards). */
  scope: 'own' | 'any';
  /** Whether a publish may set the retain flag: only where the contract says the topic is retained. */
  retain: boolean;
}

const OWN: Grant = { scope: 'own', retain: false };
const OWN_RETAINED: Grant = { scope: 'own', retain: true };
const ANY: Grant = { scope: 'any', retain: false };
const ANY_RETAINED: Grant = { scope: 'any', retain: true };

/**
 * Every permission there is. Anything not listed is denied. Retain is refused on
 * commands in particular: a retained command would run again on every reconnect.
 */
export const PERMISSIONS: Readonly<Record<AccountRole, Record<AclAction, Partial<Record<TopicKind, Grant>>>>> = {
  gateway: {
    publish: { telemetry: OWN, status: OWN_RETAINED, event: OWN, snapshot: OWN },
    subscribe: { config: OWN, command: OWN },
  },
  // Ingest publishes alarms and asks cameras to photograph them (capture); it reads the
  // acknowledgements the api publishes on the alarm topics.
  ingest: {
    publish: { alarm: ANY, command: ANY },
    subscribe: { telemetry: ANY, status: ANY, event: ANY, snapshot: ANY, alarm: ANY },
  },
  api: {
    publish: { config: ANY_RETAINED, command: ANY, alarm: ANY },
    // telemetry: the live stream (GET /v1/live) fans readings out to dashboards.
    subscribe: { status: ANY, event: ANY, alarm: ANY, telemetry: ANY },
  },
};

const ALLOWED: AclDecision = { allowed: true };

function deny(reason: string): AclDecision {
  return { allowed: false, reason };
}

const WILDCARD = '+';
// Any valid id: stands in for '+' so that parseTopic judges the shape of a filter.
const ID_STAND_IN = 'x';

/**
 * Parses a subscription filter whose `+` wildcards stand only for id levels (site,
 * gateway, device); a `+` anywhere else (namespace, channel) makes it invalid.
 * Wildcard levels come back as '+'.
 */
export function parseTopicFilter(filter: string): ParsedTopic | undefined {
  const levels = filter.split('/');
  const parsed = parseTopic(levels.map((level) => (level === WILDCARD ? ID_STAND_IN : level)).join('/'));
  if (parsed === undefined) return undefined;
  const level = (i: number): string => levels[i]!;
  if (parsed.kind === 'alarm') return { kind: 'alarm', site: level(3), device: level(4) };
  const device = parsed.device === undefined ? {} : { device: level(6) };
  return { kind: 'gateway', site: level(3), gateway: level(4), channel: parsed.channel, ...device };
}

/**
 * Decides whether `subject` may publish to `topic` (with `retain` as given) or
 * subscribe to the filter `topic`. Deny reasons are short, for logs.
 */
export function checkAccess(subject: AclSubject, action: AclAction, topic: string, { retain = false }: { retain?: boolean } = {}): AclDecision {
  if (topic.startsWith('$')) return deny('$ topics are reserved');
  if (!topic.startsWith(`${TOPIC_PREFIX}/`)) return deny(`outside ${TOPIC_PREFIX}/`);
  if (action === 'subscribe' && topic.split('/').includes('#')) return deny('# wildcard not allowed');

  const parsed = action === 'publish' ? parseTopic(topic) : parseTopicFilter(topic);
  if (parsed === undefined) return deny('not a v1 topic');
  const kind: TopicKind = parsed.kind === 'alarm' ? 'alarm' : parsed.channel;

  const grant = PERMISSIONS[subject.role][action][kind];
  if (grant === undefined) return deny(`${subject.role} may not ${action} ${kind}`);

  if (grant.scope === 'own') {
    if (subject.role !== 'gateway' || parsed.kind !== 'gateway') return deny('no own gateway');
    if (topic.includes(WILDCARD)) return deny('wildcards not allowed for gateways');
    if (parsed.site !== subject.site || parsed.gateway !== subject.gateway) return deny("another gateway's topic");
  }
  if (action === 'publish' && retain && !grant.retain) return deny(`retain not allowed on ${kind}`);
  return ALLOWED;
}
