// The camera's event source and its PullPoint subscriptions (ONVIF Events §9.1, WS-BaseNotification):
// motion and tamper are property events with a boolean state; each subscription gets the current
// states as `Initialized` messages when created, then a `Changed` message per state change. Pulls
// long-poll: they return as soon as a message is queued or when their timeout ends. No I/O
// besides timers; the clock stamps messages and decides expiry, the timers only end waits.
import { randomBytes } from 'node:crypto';

export type CameraEventKind = 'motion' | 'tamper';

/**
 * Topics, with the choice documented:
 * - motion: `tns1:VideoSource/MotionAlarm`, Source `VideoSource` token, Data `State` (xs:boolean),
 *   defined by the ONVIF Core spec's video source topics and what Hikvision, Dahua and Axis emit.
 * - tamper: `tns1:VideoSource/GlobalSceneChange/ImagingService`, Source `Source` token, Data
 *   `State` (xs:boolean): the ONVIF Core "global scene change" (camera covered, moved or
 *   defocused) topic that Hikvision and Dahua firmware use for video tampering. Profile T devices
 *   may instead send `tns1:RuleEngine/TamperDetector/Tamper` with `IsTamper`; a gateway should
 *   accept both, the simulator sends the older, more widespread one.
 */
export const EVENT_TOPICS: Readonly<Record<CameraEventKind, { topic: string; sourceItem: string; dataItem: string }>> = {
  motion: { topic: 'tns1:VideoSource/MotionAlarm', sourceItem: 'Source', dataItem: 'State' },
  tamper: { topic: 'tns1:VideoSource/GlobalSceneChange/ImagingService', sourceItem: 'Source', dataItem: 'State' },
};

export interface NotificationMessage {
  topic: string;
  utcTimeMs: number;
  propertyOperation: 'Initialized' | 'Changed';
  source: { name: string; value: string };
  data: { name: string; value: string };
}

interface Waiter {
  limit: number;
  resolve(messages: NotificationMessage[]): void;
  timer: NodeJS.Timeout;
}

interface Subscription {
  id: string;
  terminationMs: number;
  /** Topic expressions the subscriber asked for (undefined: every topic). */
  filter: string[] | undefined;
  queue: NotificationMessage[];
  waiter: Waiter | undefined;
}

export class UnknownSubscriptionError extends Error {
  override readonly name = 'UnknownSubscriptionError';
}

export class TooManySubscriptionsError extends Error {
  override readonly name = 'TooManySubscriptionsError';
}

export interface EventBrokerOptions {
  clock: () => number;
  sourceToken: string;
  /** Real cameras allow a handful of PullPoints (Hikvision: 5–10); the rest get a fault. */
  maxSubscriptions?: number;
  /** Messages kept per subscription; the oldest are dropped beyond it, as a camera's buffer does. */
  maxQueue?: number;
}

/** Topic filter match: exact topic, or a ConcreteSet/Simple expression that names a parent. */
export function topicMatches(filter: string[] | undefined, topic: string): boolean {
  if (!filter || filter.length === 0) return true;
  const strip = (t: string) => t.replace(/^[A-Za-z0-9_]+:/, '').replace(/\/\/\.$/, '').replace(/\/\*$/, '');
  const wanted = strip(topic);
  return filter.some((f) => {
    const base = strip(f.trim());
    return base !== '' && (wanted === base || wanted.startsWith(`${base}/`));
  });
}

export class EventBroker {
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly states = new Map<CameraEventKind, boolean>([['motion', false], ['tamper', false]]);
  private readonly maxSubscriptions: number;
  private readonly maxQueue: number;

  constructor(private readonly options: EventBrokerOptions) {
    this.maxSubscriptions = options.maxSubscriptions ?? 10;
    this.maxQueue = options.maxQueue ?? 1000;
  }

  state(kind: CameraEventKind): boolean {
    return this.states.get(kind)!;
  }

  private message(kind: CameraEventKind, propertyOperation: NotificationMessage['propertyOperation']): NotificationMessage {
    const t = EVENT_TOPICS[kind];
    return {
      topic: t.topic,
      utcTimeMs: this.options.clock(),
      propertyOperation,
      source: { name: t.sourceItem, value: this.options.sourceToken },
      data: { name: t.dataItem, value: String(this.states.get(kind)) },
    };
  }

  private sweep(): void {
    const now = this.options.clock();
    for (const sub of this.subscriptions.values()) if (sub.terminationMs <= now) this.drop(sub);
  }

  private drop(sub: Subscription): void {
    this.subscriptions.delete(sub.id);
    if (sub.waiter) {
      clearTimeout(sub.waiter.timer);
      sub.waiter.resolve([]);
      sub.waiter = undefined;
    }
  }

  private enqueue(sub: Subscription, message: NotificationMessage): void {
    if (!topicMatches(sub.filter, message.topic)) return;
    sub.queue.push(message);
    if (sub.queue.length > this.maxQueue) sub.queue.splice(0, sub.queue.length - this.maxQueue);
    if (sub.waiter) {
      const waiter = sub.waiter;
      sub.waiter = undefined;
      clearTimeout(waiter.timer);
      waiter.resolve(sub.queue.splice(0, waiter.limit));
    }
  }

  private get(id: string): Subscription {
    this.sweep();
    const sub = this.subscriptions.get(id);
    if (!sub) throw new UnknownSubscriptionError(`no subscription ${id} (never made, unsubscribed or expired)`);
    return sub;
  }

  /** Creates a PullPoint; its queue starts with the current state of every matching property. */
  subscribe(filter: string[] | undefined, terminationMs: number): { id: string; terminationMs: number } {
    this.sweep();
    if (this.subscriptions.size >= this.maxSubscriptions) throw new TooManySubscriptionsError(`at most ${this.maxSubscriptions} subscriptions`);
    const sub: Subscription = { id: randomBytes(8).toString('hex'), terminationMs, filter, queue: [], waiter: undefined };
    this.subscriptions.set(sub.id, sub);
    this.synchronize(sub.id);
    return { id: sub.id, terminationMs };
  }

  /** SetSynchronizationPoint: queue the current property states again. */
  synchronize(id: string): void {
    const sub = this.get(id);
    for (const kind of this.states.keys()) this.enqueue(sub, this.message(kind, 'Initialized'));
  }

  /** Changes a property and notifies every subscription (no message when the state is unchanged). */
  raise(kind: CameraEventKind, active: boolean): void {
    this.sweep();
    if (this.states.get(kind) === active) return;
    this.states.set(kind, active);
    const message = this.message(kind, 'Changed');
    for (const sub of this.subscriptions.values()) this.enqueue(sub, message);
  }

  /**
   * PullMessages: up to `limit` queued messages now, or wait up to `timeoutMs` for the first. A
   * newer pull on the same subscription ends an older waiting one (empty), and an aborted pull
   * (client gone) takes nothing off the queue, so no message is lost to a dropped connection.
   */
  pull(id: string, timeoutMs: number, limit: number, signal?: AbortSignal): Promise<NotificationMessage[]> {
    const sub = this.get(id);
    const n = Math.max(1, limit);
    if (sub.queue.length > 0 || timeoutMs <= 0) return Promise.resolve(sub.queue.splice(0, n));
    if (sub.waiter) {
      clearTimeout(sub.waiter.timer);
      sub.waiter.resolve([]);
      sub.waiter = undefined;
    }
    return new Promise((resolve) => {
      const finish = (messages: NotificationMessage[]) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(messages);
      };
      const waiter: Waiter = { limit: n, resolve: finish, timer: setTimeout(() => onTimeout(), timeoutMs) };
      const onTimeout = () => {
        if (sub.waiter === waiter) sub.waiter = undefined;
        finish([]);
      };
      const onAbort = () => {
        clearTimeout(waiter.timer);
        if (sub.waiter === waiter) sub.waiter = undefined;
        finish([]);
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      sub.waiter = waiter;
    });
  }

  renew(id: string, terminationMs: number): number {
    const sub = this.get(id);
    sub.terminationMs = terminationMs;
    return terminationMs;
  }

  terminationOf(id: string): number {
    return this.get(id).terminationMs;
  }

  unsubscribe(id: string): void {
    this.drop(this.get(id));
  }

  get subscriptionCount(): number {
    this.sweep();
    return this.subscriptions.size;
  }

  /** Ends every subscription (and its waiting pull). */
  close(): void {
    for (const sub of [...this.subscriptions.values()]) this.drop(sub);
  }
}
