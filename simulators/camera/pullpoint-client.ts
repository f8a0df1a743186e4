// A small ONVIF client for what node-onvif lacks: PullPoint event subscriptions (create, pull,
// renew, unsubscribe) and authenticated raw SOAP calls. Written for the gateway to reuse: it
// depends only on Node's fetch and this folder's pure modules (xml, soap, ws-security,
// duration), never on the simulator, so it can move to gateway/onvif/ as it is.
//
// Requests carry a WS-Security UsernameToken digest (Created = local time + the device clock
// offset, which GetSystemDateAndTime gives) and the WS-Addressing Action and To headers that
// stricter cameras (Axis, Hanwha) demand for events. Not handled: subscription references with
// ReferenceParameters (some firmwares want them echoed as headers).
import { randomUUID } from 'node:crypto';
import { formatDuration } from './duration.js';
import { readSoapFault, SOAP_CONTENT_TYPE, soapEnvelope } from './soap.js';
import { usernameTokenXml, type Credentials } from './ws-security.js';
import { attr, child, children, escapeXml, parseXml, path, text, type XmlElement, type XmlNode } from './xml.js';

export interface OnvifCallOptions {
  credentials?: Credentials;
  /** Device clock minus local clock, ms (see deviceClockOffsetMs); keeps Created inside the device's window. */
  clockOffsetMs?: number;
  /** Whole-request timeout (default 10 s; a pull adds its own wait). */
  timeoutMs?: number;
  /** WS-Addressing Action of the request, when the operation has one. */
  action?: string;
  signal?: AbortSignal;
}

/** A SOAP fault (or non-SOAP HTTP error) from the device, with the parts a caller branches on. */
export class OnvifCallError extends Error {
  override readonly name = 'OnvifCallError';
  constructor(
    message: string,
    readonly httpStatus: number,
    readonly code: string | undefined,
    readonly subcodes: string[],
  ) {
    super(message);
  }

  /** `ter:NotAuthorized` (wrong or missing credentials, or a clock too far off). */
  get notAuthorized(): boolean {
    return this.subcodes.some((s) => s.endsWith(':NotAuthorized')) || this.httpStatus === 401;
  }
}

/** POSTs one SOAP 1.2 request and returns the parsed response envelope; throws OnvifCallError on a fault. */
export async function onvifSoapCall(url: string, bodyXml: string, options: OnvifCallOptions = {}): Promise<XmlElement> {
  const headers: string[] = [];
  if (options.credentials) headers.push(usernameTokenXml(options.credentials, Date.now() + (options.clockOffsetMs ?? 0)));
  if (options.action) {
    headers.push(`<wsa:Action>${escapeXml(options.action)}</wsa:Action>`, `<wsa:MessageID>urn:uuid:${randomUUID()}</wsa:MessageID>`, `<wsa:To>${escapeXml(url)}</wsa:To>`);
  }
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 10_000);
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': SOAP_CONTENT_TYPE },
    body: soapEnvelope(bodyXml, headers.join('')),
    signal: options.signal ? AbortSignal.any([options.signal, timeout]) : timeout,
  });
  const textBody = await response.text();
  let document: XmlElement | undefined;
  try {
    document = parseXml(textBody);
  } catch {
    document = undefined;
  }
  const fault = document && readSoapFault(document);
  if (fault) {
    throw new OnvifCallError(`ONVIF fault from ${url}: ${fault.reason || fault.code} (${[fault.code, ...fault.subcodes].join(' ')}, HTTP ${response.status})`, response.status, fault.code, fault.subcodes);
  }
  if (!response.ok || !document) throw new OnvifCallError(`ONVIF call to ${url} failed: HTTP ${response.status} ${response.statusText}`, response.status, undefined, []);
  return document;
}

/** Device clock minus local clock in ms, from the unauthenticated GetSystemDateAndTime. */
export async function deviceClockOffsetMs(deviceXaddr: string, options: Pick<OnvifCallOptions, 'timeoutMs' | 'signal'> = {}): Promise<number> {
  const before = Date.now();
  const doc = await onvifSoapCall(deviceXaddr, '<tds:GetSystemDateAndTime/>', options);
  const utc = path(doc, 'Envelope', 'Body', 'GetSystemDateAndTimeResponse', 'SystemDateAndTime', 'UTCDateTime');
  const n = (...names: string[]) => Number(text(path(utc, ...names)));
  const device = Date.UTC(n('Date', 'Year'), n('Date', 'Month') - 1, n('Date', 'Day'), n('Time', 'Hour'), n('Time', 'Minute'), n('Time', 'Second'));
  if (Number.isNaN(device)) throw new OnvifCallError(`no UTCDateTime in the GetSystemDateAndTime answer of ${deviceXaddr}`, 200, undefined, []);
  // The device answers in whole seconds; take the midpoint of the call as our reading.
  return device - Math.round((before + Date.now()) / 2);
}

export interface PullPointSubscription {
  /** The subscription's own address: PullMessages, Renew and Unsubscribe go there. */
  address: string;
  currentTime: string;
  terminationTime: string;
}

export interface OnvifNotification {
  topic: string;
  /** ISO time the device stamped on the message. */
  utcTime: string;
  /** `Initialized` (state at subscription or sync point), `Changed`, `Deleted`; undefined for non-property events. */
  propertyOperation: string | undefined;
  source: Record<string, string>;
  data: Record<string, string>;
}

export interface PullMessagesResult {
  currentTime: string;
  terminationTime: string;
  messages: OnvifNotification[];
}

const EVENTS_WSDL = 'http://www.onvif.org/ver10/events/wsdl';
const WSN_BW = 'http://docs.oasis-open.org/wsn/bw-2';

export async function createPullPointSubscription(
  eventsXaddr: string,
  options: OnvifCallOptions & {
    /** xs:duration or dateTime (default PT60S). */
    initialTerminationTime?: string;
    /** ConcreteSet topic expression, e.g. `tns1:VideoSource/MotionAlarm|tns1:VideoSource/GlobalSceneChange/ImagingService`. */
    topicFilter?: string;
  } = {},
): Promise<PullPointSubscription> {
  const filter = options.topicFilter
    ? `<tev:Filter><wsnt:TopicExpression Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">${escapeXml(options.topicFilter)}</wsnt:TopicExpression></tev:Filter>`
    : '';
  const doc = await onvifSoapCall(
    eventsXaddr,
    `<tev:CreatePullPointSubscription>${filter}<tev:InitialTerminationTime>${escapeXml(options.initialTerminationTime ?? 'PT60S')}</tev:InitialTerminationTime></tev:CreatePullPointSubscription>`,
    { action: `${EVENTS_WSDL}/EventPortType/CreatePullPointSubscriptionRequest`, ...options },
  );
  const response = path(doc, 'Envelope', 'Body', 'CreatePullPointSubscriptionResponse');
  const address = text(path(response, 'SubscriptionReference', 'Address'));
  if (!address) throw new OnvifCallError(`no subscription address in the answer of ${eventsXaddr}`, 200, undefined, []);
  return { address, currentTime: text(child(response, 'CurrentTime')) ?? '', terminationTime: text(child(response, 'TerminationTime')) ?? '' };
}

function simpleItems(node: XmlNode | undefined): Record<string, string> {
  const items: Record<string, string> = {};
  for (const item of children(node, 'SimpleItem')) {
    const name = attr(item, 'Name');
    if (name !== undefined) items[name] = attr(item, 'Value') ?? '';
  }
  return items;
}

/** Reads the NotificationMessages of a PullMessagesResponse (or a Notify). Pure. */
export function readNotifications(response: XmlNode | undefined): OnvifNotification[] {
  return children(response, 'NotificationMessage').map((n) => {
    const message = path(n, 'Message', 'Message');
    return {
      topic: (text(child(n, 'Topic')) ?? '').trim(),
      utcTime: attr(message, 'UtcTime') ?? '',
      propertyOperation: attr(message, 'PropertyOperation'),
      source: simpleItems(child(message, 'Source')),
      data: simpleItems(child(message, 'Data')),
    };
  });
}

/**
 * PullMessages: waits up to `timeoutMs` on the device for at least one message, returns at most
 * `messageLimit`. The HTTP timeout is the pull's wait plus `timeoutMs` of the call options.
 */
export async function pullMessages(subscriptionAddress: string, options: OnvifCallOptions & { waitMs: number; messageLimit: number }): Promise<PullMessagesResult> {
  const doc = await onvifSoapCall(
    subscriptionAddress,
    `<tev:PullMessages><tev:Timeout>${formatDuration(options.waitMs)}</tev:Timeout><tev:MessageLimit>${options.messageLimit}</tev:MessageLimit></tev:PullMessages>`,
    { action: `${EVENTS_WSDL}/PullPointSubscription/PullMessagesRequest`, ...options, timeoutMs: options.waitMs + (options.timeoutMs ?? 10_000) },
  );
  const response = path(doc, 'Envelope', 'Body', 'PullMessagesResponse');
  return { currentTime: text(child(response, 'CurrentTime')) ?? '', terminationTime: text(child(response, 'TerminationTime')) ?? '', messages: readNotifications(response) };
}

/** Renew: the new termination time as the device reports it. */
export async function renewSubscription(subscriptionAddress: string, options: OnvifCallOptions & { terminationTime?: string } = {}): Promise<string> {
  const doc = await onvifSoapCall(subscriptionAddress, `<wsnt:Renew><wsnt:TerminationTime>${escapeXml(options.terminationTime ?? 'PT60S')}</wsnt:TerminationTime></wsnt:Renew>`, {
    action: `${WSN_BW}/SubscriptionManager/RenewRequest`,
    ...options,
  });
  return text(path(doc, 'Envelope', 'Body', 'RenewResponse', 'TerminationTime')) ?? '';
}

export async function unsubscribe(subscriptionAddress: string, options: OnvifCallOptions = {}): Promise<void> {
  await onvifSoapCall(subscriptionAddress, '<wsnt:Unsubscribe/>', { action: `${WSN_BW}/SubscriptionManager/UnsubscribeRequest`, ...options });
}
