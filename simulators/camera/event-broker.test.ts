// PullPoint subscriptions: initial states, changes, filters, limits, long polls, expiry.
import { describe, expect, it } from 'vitest';
import { EventBroker, topicMatches, TooManySubscriptionsError, UnknownSubscriptionError } from './event-broker.js';

function broker(clock = () => 1_000_000, maxSubscriptions = 10) {
  return new EventBroker({ clock, sourceToken: 'VideoSource_1', maxSubscriptions, maxQueue: 3 });
}

describe('topicMatches', () => {
  it.each([
    [undefined, 'tns1:VideoSource/MotionAlarm', true],
    [['tns1:VideoSource/MotionAlarm'], 'tns1:VideoSource/MotionAlarm', true],
    [['tns1:VideoSource'], 'tns1:VideoSource/GlobalSceneChange/ImagingService', true],
    [['tns1:VideoSource//.'], 'tns1:VideoSource/MotionAlarm', true],
    [['tns1:VideoSource/Motion'], 'tns1:VideoSource/MotionAlarm', false],
    [['tns1:RuleEngine'], 'tns1:VideoSource/MotionAlarm', false],
  ] as const)('%j matches %s: %s', (filter, topic, expected) => {
    expect(topicMatches(filter as string[] | undefined, topic)).toBe(expected);
  });
});

describe('EventBroker', () => {
  it('starts a subscription with Initialized states, then queues Changed ones (none for an unchanged state)', async () => {
    const b = broker();
    const { id } = b.subscribe(undefined, 2_000_000);
    b.raise('motion', true);
    b.raise('motion', true);
    const messages = await b.pull(id, 0, 10);
    expect(messages.map((m) => [m.topic, m.propertyOperation, m.data.value])).toEqual([
      ['tns1:VideoSource/MotionAlarm', 'Initialized', 'false'],
      ['tns1:VideoSource/GlobalSceneChange/ImagingService', 'Initialized', 'false'],
      ['tns1:VideoSource/MotionAlarm', 'Changed', 'true'],
    ]);
  });

  it('wakes a waiting pull on an event, and an aborted pull takes nothing off the queue', async () => {
    const b = broker();
    const { id } = b.subscribe(['tns1:VideoSource/MotionAlarm'], 2_000_000);
    await b.pull(id, 0, 10);
    const waiting = b.pull(id, 60_000, 10);
    b.raise('motion', true);
    expect((await waiting).map((m) => m.data.value)).toEqual(['true']);
    const controller = new AbortController();
    const aborted = b.pull(id, 60_000, 10, controller.signal);
    controller.abort();
    expect(await aborted).toEqual([]);
    b.raise('motion', false);
    expect((await b.pull(id, 0, 10)).map((m) => m.data.value)).toEqual(['false']);
  });

  it('keeps only maxQueue messages, drops the oldest', async () => {
    const b = broker();
    const { id } = b.subscribe(['tns1:VideoSource/MotionAlarm'], 2_000_000);
    for (let i = 0; i < 6; i++) b.raise('motion', i % 2 === 0);
    expect((await b.pull(id, 0, 10)).map((m) => m.data.value)).toEqual(['false', 'true', 'false']);
  });

  it('expires on its clock, refuses unknown ids and too many subscriptions', () => {
    let now = 1_000_000;
    const b = broker(() => now, 2);
    const { id } = b.subscribe(undefined, now + 10_000);
    b.subscribe(undefined, now + 60_000);
    expect(() => b.subscribe(undefined, now + 60_000)).toThrow(TooManySubscriptionsError);
    now += 10_000;
    expect(() => b.pull(id, 0, 1)).toThrow(UnknownSubscriptionError);
    expect(b.subscriptionCount).toBe(1);
    expect(() => b.unsubscribe('nope')).toThrow(UnknownSubscriptionError);
  });
});
