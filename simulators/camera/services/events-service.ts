// Event service (/onvif/events_service) and its PullPoint subscriptions
// (/onvif/events_service/pullpoint/<id>): GetEventProperties, CreatePullPointSubscription, then
// PullMessages (long poll), Renew, Unsubscribe and SetSynchronizationPoint at the subscription
// address. A PullMessages does not extend the subscription: clients must Renew, which is what the
// ONVIF spec asks of them and what the strictest cameras enforce.
import { formatDateTime, parseDuration, parseTerminationTime } from '../duration.js';
import { EVENT_TOPICS, TooManySubscriptionsError, UnknownSubscriptionError, type NotificationMessage } from '../event-broker.js';
import { faults } from '../soap.js';
import { children, escapeXml, path, text, type XmlNode } from '../../../lib/xml.js';
import type { ServiceContext, SoapService } from './context.js';

const DEFAULT_TERMINATION_MS = 60_000;
/** Longest lifetime one request may ask for (a day), so a forgotten subscription goes away. */
const MAX_TERMINATION_MS = 86_400_000;
const CONCRETE_SET = 'http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet';

function messageDescription(sourceItem: string, dataItem: string): string {
  return (
    '<tt:MessageDescription IsProperty="true">' +
    `<tt:Source><tt:SimpleItemDescription Name="${sourceItem}" Type="tt:ReferenceToken"/></tt:Source>` +
    `<tt:Data><tt:SimpleItemDescription Name="${dataItem}" Type="xs:boolean"/></tt:Data>` +
    '</tt:MessageDescription>'
  );
}

function getEventProperties(): string {
  const motion = EVENT_TOPICS.motion;
  const tamper = EVENT_TOPICS.tamper;
  return (
    '<tev:GetEventPropertiesResponse>' +
    '<tev:TopicNamespaceLocation>http://www.onvif.org/onvif/ver10/topics/topicns.xml</tev:TopicNamespaceLocation>' +
    '<wsnt:FixedTopicSet>true</wsnt:FixedTopicSet>' +
    '<wstop:TopicSet><tns1:VideoSource>' +
    `<MotionAlarm wstop:topic="true">${messageDescription(motion.sourceItem, motion.dataItem)}</MotionAlarm>` +
    `<GlobalSceneChange><ImagingService wstop:topic="true">${messageDescription(tamper.sourceItem, tamper.dataItem)}</ImagingService></GlobalSceneChange>` +
    '</tns1:VideoSource></wstop:TopicSet>' +
    `<wsnt:TopicExpressionDialect>${CONCRETE_SET}</wsnt:TopicExpressionDialect>` +
    '<wsnt:TopicExpressionDialect>http://docs.oasis-open.org/wsn/t-1/TopicExpression/Concrete</wsnt:TopicExpressionDialect>' +
    '<tev:MessageContentFilterDialect>http://www.onvif.org/ver10/tev/messageContentFilter/ItemFilter</tev:MessageContentFilterDialect>' +
    '<tev:MessageContentSchemaLocation>http://www.onvif.org/onvif/ver10/schema/onvif.xsd</tev:MessageContentSchemaLocation>' +
    '</tev:GetEventPropertiesResponse>'
  );
}

function terminationFrom(value: string | undefined, now: number): number {
  if (value === undefined || value === '') return now + DEFAULT_TERMINATION_MS;
  const at = parseTerminationTime(value, now);
  if (at === undefined || at <= now) throw faults.invalidArg('ter:InvalidTerminationTime', `Termination time ${value} is not a future time or a positive duration`);
  return Math.min(at, now + MAX_TERMINATION_MS);
}

function createPullPointSubscription(payload: XmlNode, { events, now, urls }: ServiceContext): string {
  // Topic filters: each TopicExpression may list alternatives with '|' (ConcreteSet dialect).
  const expressions = children(path(payload, 'Filter'), 'TopicExpression').map(text).filter((t): t is string => !!t);
  const filter = expressions.length > 0 ? expressions.flatMap((e) => e.split('|')) : undefined;
  const terminationMs = terminationFrom(text(path(payload, 'InitialTerminationTime')), now);
  let id: string;
  try {
    ({ id } = events.subscribe(filter, terminationMs));
  } catch (err) {
    if (err instanceof TooManySubscriptionsError) throw faults.action('ter:MaxPullPoints', `Cannot create another PullPoint: ${err.message}`);
    throw err;
  }
  return (
    '<tev:CreatePullPointSubscriptionResponse>' +
    `<tev:SubscriptionReference><wsa:Address>${urls.pullPoint(id)}</wsa:Address></tev:SubscriptionReference>` +
    `<wsnt:CurrentTime>${formatDateTime(now)}</wsnt:CurrentTime><wsnt:TerminationTime>${formatDateTime(terminationMs)}</wsnt:TerminationTime>` +
    '</tev:CreatePullPointSubscriptionResponse>'
  );
}

export function notificationMessageXml(m: NotificationMessage): string {
  return (
    `<wsnt:NotificationMessage><wsnt:Topic Dialect="${CONCRETE_SET}">${m.topic}</wsnt:Topic><wsnt:Message>` +
    `<tt:Message UtcTime="${new Date(m.utcTimeMs).toISOString()}" PropertyOperation="${m.propertyOperation}">` +
    `<tt:Source><tt:SimpleItem Name="${escapeXml(m.source.name)}" Value="${escapeXml(m.source.value)}"/></tt:Source>` +
    `<tt:Data><tt:SimpleItem Name="${escapeXml(m.data.name)}" Value="${escapeXml(m.data.value)}"/></tt:Data>` +
    '</tt:Message></wsnt:Message></wsnt:NotificationMessage>'
  );
}

/** Runs a subscription operation, turning a missing subscription into the WSRF fault. */
function onSubscription<T>(ctx: ServiceContext, fn: (id: string) => T): T {
  const id = ctx.subscriptionId;
  if (id === undefined) throw faults.actionNotSupported('subscription operation outside a subscription address');
  try {
    return fn(id);
  } catch (err) {
    if (err instanceof UnknownSubscriptionError) throw faults.resourceUnknown(err.message);
    throw err;
  }
}

async function pullMessages(payload: XmlNode, ctx: ServiceContext): Promise<string> {
  const timeoutText = text(path(payload, 'Timeout'));
  if (timeoutText === undefined) throw faults.missingArg('Timeout');
  const timeoutMs = parseDuration(timeoutText);
  if (timeoutMs === undefined || timeoutMs < 0) throw faults.invalidArg('ter:InvalidArgVal', `Timeout ${timeoutText} is not an xs:duration`);
  const limitText = text(path(payload, 'MessageLimit'));
  if (limitText === undefined) throw faults.missingArg('MessageLimit');
  const limit = Number(limitText);
  if (!Number.isInteger(limit) || limit < 1) throw faults.invalidArg('ter:InvalidArgVal', `MessageLimit ${limitText} is not a positive integer`);
  const messages = await onSubscription(ctx, (id) => ctx.events.pull(id, Math.min(timeoutMs, ctx.maxPullTimeoutMs), limit, ctx.signal));
  const now = ctx.clock(); // after the wait, not at the request
  const termination = onSubscription(ctx, (id) => ctx.events.terminationOf(id));
  return (
    `<tev:PullMessagesResponse><tev:CurrentTime>${formatDateTime(now)}</tev:CurrentTime><tev:TerminationTime>${formatDateTime(termination)}</tev:TerminationTime>` +
    messages.map(notificationMessageXml).join('') +
    '</tev:PullMessagesResponse>'
  );
}

function renew(payload: XmlNode, ctx: ServiceContext): string {
  const terminationMs = terminationFrom(text(path(payload, 'TerminationTime')), ctx.now);
  onSubscription(ctx, (id) => ctx.events.renew(id, terminationMs));
  return `<wsnt:RenewResponse><wsnt:TerminationTime>${formatDateTime(terminationMs)}</wsnt:TerminationTime><wsnt:CurrentTime>${formatDateTime(ctx.now)}</wsnt:CurrentTime></wsnt:RenewResponse>`;
}

export const eventsService: SoapService = {
  name: 'events',
  operations: {
    GetEventProperties: getEventProperties,
    CreatePullPointSubscription: createPullPointSubscription,
    GetServiceCapabilities: () =>
      '<tev:GetServiceCapabilitiesResponse><tev:Capabilities WSSubscriptionPolicySupport="false" WSPullPointSupport="true" WSPausableSubscriptionManagerInterfaceSupport="false" MaxNotificationProducers="0" MaxPullPoints="10" PersistentNotificationStorage="false"/></tev:GetServiceCapabilitiesResponse>',
  },
  preAuth: new Set(),
};

export const pullPointService: SoapService = {
  name: 'pullpoint',
  operations: {
    PullMessages: pullMessages,
    Renew: renew,
    Unsubscribe: (_payload, ctx) => {
      onSubscription(ctx, (id) => ctx.events.unsubscribe(id));
      return '<wsnt:UnsubscribeResponse/>';
    },
    SetSynchronizationPoint: (_payload, ctx) => {
      onSubscription(ctx, (id) => ctx.events.synchronize(id));
      return '<tev:SetSynchronizationPointResponse/>';
    },
  },
  preAuth: new Set(),
};
