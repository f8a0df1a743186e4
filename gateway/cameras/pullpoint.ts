// ONVIF PullPoint events (ONVIF Core §9.1): CreatePullPointSubscription on the event service,
// then PullMessages long-polls on the subscription's address, Renew before it expires,
// Unsubscribe at the end. PullPoint rather than WS-BaseNotification push: the camera never has
// to open a connection to the gateway (NAT, firewalls on village networks), and a long-poll
// over the same LAN is cheap. Failures end the subscription; `runPullPointLoop` subscribes
// again after a back-off.
import type { Logger } from '../../lib/logger.js';
import { delay } from '../../lib/wait.js';
import { CameraError, toCameraError } from './errors.js';
import { newStateChanges, readPullMessages, type CameraNotification } from './notifications.js';
import { soapCall, SOAP_NS, type SoapCredentials } from './soap.js';
import { child, escapeXml, path, text, type XmlNode } from '../../lib/xml.js';

const EVENTS_WSDL = 'http://www.onvif.org/ver10/events/wsdl';
const ACTION = {
  create: `${EVENTS_WSDL}/EventPortType/CreatePullPointSubscriptionRequest`,
  pull: `${EVENTS_WSDL}/PullPointSubscription/PullMessagesRequest`,
  renew: 'http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager/RenewRequest',
  unsubscribe: 'http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager/UnsubscribeRequest',
};

export interface PullPointOptions {
  /** The camera's event service (from GetCapabilities). */
  eventsXaddr: string;
  credentials: () => SoapCredentials;
  /** Per request, on top of the long-poll wait. */
  timeoutMs: number;
  /** How long one PullMessages waits on the camera for events. */
  pullWaitS?: number;
  /** The subscription's lifetime; renewed at half of it. */
  terminationS?: number;
  /** Most messages one PullMessages returns (default 32). */
  messageLimit?: number;
  /** ConcreteSet topic expression, e.g. `tns1:VideoSource/MotionAlarm|tns1:RuleEngine//.`; default every topic. */
  topicFilter?: string;
}

const TOPIC_DIALECT = 'http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet';

/** Times as the camera wrote them (its clock, xs:dateTime text). */
export interface GrantedLifetime {
  currentTime?: string;
  terminationTime?: string;
}

function grantedLifetime(answer: XmlNode | undefined): GrantedLifetime {
  const currentTime = text(child(answer, 'CurrentTime'))?.trim();
  const terminationTime = text(child(answer, 'TerminationTime'))?.trim();
  return { ...(currentTime ? { currentTime } : {}), ...(terminationTime ? { terminationTime } : {}) };
}

export class PullPointSubscription {
  private constructor(private readonly options: PullPointOptions, readonly address: string, private expiresAt: number, private lifetime: GrantedLifetime) {}

  /** What the camera's last Create or Renew answer granted. */
  get granted(): Readonly<GrantedLifetime> {
    return this.lifetime;
  }

  private get pullWaitS(): number {
    return this.options.pullWaitS ?? 10;
  }

  static async create(options: PullPointOptions, signal?: AbortSignal): Promise<PullPointSubscription> {
    const terminationS = options.terminationS ?? 60;
    const filter = options.topicFilter
      ? `<tev:Filter><wsnt:TopicExpression Dialect="${TOPIC_DIALECT}">${escapeXml(options.topicFilter)}</wsnt:TopicExpression></tev:Filter>`
      : '';
    const body = await soapCall({
      url: options.eventsXaddr, operation: 'CreatePullPointSubscription', action: ACTION.create,
      body: `<tev:CreatePullPointSubscription>${filter}<tev:InitialTerminationTime>PT${terminationS}S</tev:InitialTerminationTime></tev:CreatePullPointSubscription>`,
      credentials: options.credentials(), timeoutMs: options.timeoutMs, ...(signal ? { signal } : {}),
    });
    const response = child(body, 'CreatePullPointSubscriptionResponse');
    const address = text(path(response, 'SubscriptionReference', 'Address'))?.trim();
    if (!address) throw new CameraError('protocol', 'CreatePullPointSubscription: no subscription address in the answer');
    // The camera's address may name a host the gateway cannot resolve or an address behind NAT;
    // it is used as given, as every ONVIF client does.
    return new PullPointSubscription(options, address, Date.now() + terminationS * 1000, grantedLifetime(response));
  }

  /** Waits up to pullWaitS on the camera for events. */
  async pull(signal?: AbortSignal): Promise<CameraNotification[]> {
    const body = await soapCall({
      url: this.address, operation: 'PullMessages', action: ACTION.pull,
      body: `<tev:PullMessages><tev:Timeout>PT${this.pullWaitS}S</tev:Timeout><tev:MessageLimit>${this.options.messageLimit ?? 32}</tev:MessageLimit></tev:PullMessages>`,
      credentials: this.options.credentials(), timeoutMs: this.pullWaitS * 1000 + this.options.timeoutMs, ...(signal ? { signal } : {}),
    });
    return readPullMessages(body);
  }

  /** Renews when half the lifetime is gone. */
  async renewIfDue(signal?: AbortSignal): Promise<void> {
    const terminationS = this.options.terminationS ?? 60;
    if (this.expiresAt - Date.now() > (terminationS * 1000) / 2) return;
    await this.renew(signal);
  }

  /** Extends the subscription by its lifetime from now. */
  async renew(signal?: AbortSignal): Promise<void> {
    const terminationS = this.options.terminationS ?? 60;
    const body = await soapCall({
      url: this.address, operation: 'Renew', action: ACTION.renew,
      body: `<wsnt:Renew xmlns:wsnt="${SOAP_NS.wsnt}"><wsnt:TerminationTime>PT${terminationS}S</wsnt:TerminationTime></wsnt:Renew>`,
      credentials: this.options.credentials(), timeoutMs: this.options.timeoutMs, ...(signal ? { signal } : {}),
    });
    this.expiresAt = Date.now() + terminationS * 1000;
    this.lifetime = grantedLifetime(child(body, 'RenewResponse'));
  }

  /** Best effort: a camera has few subscription slots, so give ours back. */
  async unsubscribe(): Promise<void> {
    await soapCall({
      url: this.address, operation: 'Unsubscribe', action: ACTION.unsubscribe,
      body: `<wsnt:Unsubscribe xmlns:wsnt="${SOAP_NS.wsnt}"/>`,
      credentials: this.options.credentials(), timeoutMs: this.options.timeoutMs,
    });
  }
}

export interface PullPointLoopOptions {
  /** Undefined while the camera is not connected (no event service known yet): the loop waits. */
  subscription: () => PullPointOptions | undefined;
  onEvent: (notification: CameraNotification) => void;
  logger: Logger;
  signal: AbortSignal;
  /** Back-off between failed subscriptions: starts here, doubles, up to retryMaxMs. */
  retryMinMs?: number;
  retryMaxMs?: number;
}

/** Subscribes, pulls and renews until the signal aborts; resubscribes after failures with back-off. */
export async function runPullPointLoop(options: PullPointLoopOptions): Promise<void> {
  const { signal, logger } = options;
  const retryMinMs = options.retryMinMs ?? 1000;
  const retryMaxMs = options.retryMaxMs ?? 60_000;
  let backoffMs = retryMinMs;
  // The last state per topic/source survives resubscriptions, so an `Initialized` repeat is no event.
  const known = new Map<string, boolean>();
  while (!signal.aborted) {
    const settings = options.subscription();
    if (!settings) {
      await delay(retryMinMs, signal);
      continue;
    }
    let subscription: PullPointSubscription | undefined;
    try {
      subscription = await PullPointSubscription.create(settings, signal);
      logger.info('event subscription (PullPoint) created');
      backoffMs = retryMinMs;
      while (!signal.aborted) {
        const notifications = await subscription.pull(signal);
        for (const change of newStateChanges(notifications, known)) options.onEvent(change);
        await subscription.renewIfDue(signal);
      }
    } catch (err) {
      if (signal.aborted) break;
      const error = toCameraError(err, 'events');
      logger.warn({ err: error.message, kind: error.kind, retryInMs: backoffMs }, 'event subscription failed; subscribing again after a pause');
      await delay(backoffMs, signal);
      backoffMs = Math.min(retryMaxMs, backoffMs * 2);
    } finally {
      // A camera has few subscription slots: give ours back, waiting for it only when stopping.
      if (subscription && signal.aborted) await subscription.unsubscribe().catch(() => undefined);
      else if (subscription) void subscription.unsubscribe().catch(() => undefined);
    }
  }
}
