// ONVIF event notifications (WS-BaseNotification messages from PullMessages) read as what the
// gateway reports: motion and tamper, started or ended. Cameras name them differently:
//
//   tns1:VideoSource/MotionAlarm                       Data State=true|false  (Profile S)
//   tns1:RuleEngine/CellMotionDetector/Motion          Data IsMotion=true|false
//   tns1:RuleEngine/MotionRegionDetector/Motion        Data State / IsMotion
//   tns1:RuleEngine/TamperDetector/Tamper              Data IsTamper=true|false
//   tns1:VideoSource/GlobalSceneChange/…               Data State=true|false  (covered, moved)
//
// Everything else (I/O ports, storage, config changes) is ignored. Pure.
import { attr, child, children, text, type XmlNode } from '../../lib/xml.js';

export type CameraEventType = 'motion' | 'tamper';

export interface CameraNotification {
  type: CameraEventType;
  active: boolean;
  /** The ONVIF topic as the camera sent it. */
  topic: string;
  /** Which video source or rule raised it, `Name=Value` pairs, e.g. `VideoSourceToken=vs1`. */
  source?: string;
  /** `Initialized`: the state at subscription time, not a change. */
  initialized: boolean;
  /** The camera's own time of the event, if it gave one. */
  utcTime?: string;
}

const ACTIVE_ITEMS = ['State', 'IsMotion', 'IsTamper', 'Active', 'Value', 'LogicalState'];

export function eventTypeOfTopic(topic: string): CameraEventType | undefined {
  if (/Tamper|GlobalSceneChange/i.test(topic)) return 'tamper';
  if (/Motion/i.test(topic)) return 'motion';
  return undefined;
}

function simpleItems(node: XmlNode | undefined): Array<{ name: string; value: string }> {
  return children(node, 'SimpleItem')
    .map((item) => ({ name: attr(item, 'Name') ?? '', value: attr(item, 'Value') ?? '' }))
    .filter((item) => item.name !== '');
}

function parseBoolean(value: string): boolean | undefined {
  const v = value.trim().toLowerCase();
  if (v === 'true' || v === '1' || v === 'on') return true;
  if (v === 'false' || v === '0' || v === 'off') return false;
  return undefined;
}

/** One NotificationMessage element; undefined when it is not a motion/tamper event we can read. */
export function readNotification(message: XmlNode): CameraNotification | undefined {
  const topic = text(child(message, 'Topic'))?.trim();
  if (!topic) return undefined;
  const type = eventTypeOfTopic(topic);
  if (!type) return undefined;
  // Message/Message: the outer one is the wsnt wrapper, the inner the tt:Message.
  const outer = child(message, 'Message');
  const inner = child(outer, 'Message') ?? outer;
  const data = simpleItems(child(inner, 'Data'));
  let active: boolean | undefined;
  for (const name of ACTIVE_ITEMS) {
    const item = data.find((d) => d.name === name);
    if (item) active = parseBoolean(item.value);
    if (active !== undefined) break;
  }
  active ??= data.map((d) => parseBoolean(d.value)).find((v) => v !== undefined);
  if (active === undefined) return undefined;
  const source = simpleItems(child(inner, 'Source')).map((item) => `${item.name}=${item.value}`).join(',');
  const utcTime = attr(inner, 'UtcTime');
  return {
    type, active, topic,
    ...(source ? { source } : {}),
    initialized: attr(inner, 'PropertyOperation') === 'Initialized',
    ...(utcTime ? { utcTime } : {}),
  };
}

/** The NotificationMessage elements of a PullMessagesResponse body. */
export function readPullMessages(body: XmlNode): CameraNotification[] {
  const response = child(body, 'PullMessagesResponse');
  return children(response, 'NotificationMessage').map(readNotification).filter((n): n is CameraNotification => n !== undefined);
}

/**
 * Which notifications become events: changes of state only. Cameras repeat a state (on every
 * resubscription as `Initialized`, some periodically); `known` holds the last state per topic and
 * source, and is updated.
 */
export function newStateChanges(notifications: readonly CameraNotification[], known: Map<string, boolean>): CameraNotification[] {
  const changes: CameraNotification[] = [];
  for (const n of notifications) {
    const key = `${n.type}|${n.topic}|${n.source ?? ''}`;
    const previous = known.get(key);
    known.set(key, n.active);
    if (previous === n.active) continue;
    // The first news of a source that is idle is no event: nothing started or ended.
    if (previous === undefined && !n.active) continue;
    changes.push(n);
  }
  return changes;
}
