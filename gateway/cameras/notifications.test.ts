// Reading PullMessages answers as motion/tamper events, across the topic and item names cameras
// use, and passing on changes only.
import { describe, expect, it } from 'vitest';
import { newStateChanges, readPullMessages, type CameraNotification } from './notifications.js';
import { parseXml, path } from '../../lib/xml.js';

function message(topic: string, data: [string, string][], options: { source?: [string, string][]; operation?: string; prefix?: string } = {}): string {
  const p = options.prefix ?? 'tt';
  const items = (list: [string, string][]) => list.map(([n, v]) => `<${p}:SimpleItem Name="${n}" Value="${v}"/>`).join('');
  return `<wsnt:NotificationMessage><wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">${topic}</wsnt:Topic>` +
    `<wsnt:Message><${p}:Message UtcTime="2026-01-15T08:00:00Z"${options.operation ? ` PropertyOperation="${options.operation}"` : ''}>` +
    `<${p}:Source>${items(options.source ?? [])}</${p}:Source><${p}:Data>${items(data)}</${p}:Data></${p}:Message></wsnt:Message></wsnt:NotificationMessage>`;
}

function body(...messages: string[]) {
  const xml = `<?xml version="1.0"?><env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2" xmlns:tt="http://www.onvif.org/ver10/schema" xmlns:tev="http://www.onvif.org/ver10/events/wsdl">` +
    `<env:Body><tev:PullMessagesResponse><tev:CurrentTime>2026-01-15T08:00:01Z</tev:CurrentTime><tev:TerminationTime>2026-01-15T08:01:01Z</tev:TerminationTime>${messages.join('')}</tev:PullMessagesResponse></env:Body></env:Envelope>`;
  return path(parseXml(xml), 'Envelope', 'Body')!;
}

describe('readPullMessages', () => {
  it.each([
    { what: 'Profile S motion alarm', xml: message('tns1:VideoSource/MotionAlarm', [['State', 'true']], { source: [['Source', 'VideoSource_1']] }), expected: { type: 'motion', active: true, source: 'Source=VideoSource_1' } },
    { what: 'cell motion detector', xml: message('tns1:RuleEngine/CellMotionDetector/Motion', [['IsMotion', 'false']], { source: [['VideoSourceConfigurationToken', 'vsc'], ['Rule', 'MyMotion']] }), expected: { type: 'motion', active: false, source: 'VideoSourceConfigurationToken=vsc,Rule=MyMotion' } },
    { what: 'tamper detector', xml: message('tns1:RuleEngine/TamperDetector/Tamper', [['IsTamper', '1']]), expected: { type: 'tamper', active: true } },
    { what: 'global scene change', xml: message('tns1:VideoSource/GlobalSceneChange/ImagingService', [['State', 'true']], { prefix: 'ns3' }), expected: { type: 'tamper', active: true } },
    { what: 'initialized state', xml: message('tns1:VideoSource/MotionAlarm', [['State', 'false']], { operation: 'Initialized' }), expected: { type: 'motion', active: false, initialized: true } },
  ])('reads $what', ({ xml, expected }) => {
    const [n] = readPullMessages(body(xml));
    expect(n).toMatchObject({ initialized: false, utcTime: '2026-01-15T08:00:00Z', ...expected });
  });

  it('ignores other topics, and events without a boolean state', () => {
    expect(readPullMessages(body(
      message('tns1:Device/Trigger/DigitalInput', [['LogicalState', 'true']]),
      message('tns1:VideoSource/MotionAlarm', [['Level', 'high']]),
    ))).toEqual([]);
    expect(readPullMessages(body())).toEqual([]);
  });
});

describe('newStateChanges', () => {
  const n = (type: 'motion' | 'tamper', active: boolean, initialized = false): CameraNotification => ({ type, active, topic: `t-${type}`, source: 's', initialized });

  it('passes on starts and ends, not repeats or the idle state at subscription', () => {
    const known = new Map<string, boolean>();
    expect(newStateChanges([n('motion', false, true), n('tamper', false, true)], known)).toEqual([]);
    expect(newStateChanges([n('motion', true)], known)).toEqual([n('motion', true)]);
    expect(newStateChanges([n('motion', true)], known)).toEqual([]);
    // Resubscribed: the camera repeats the state as Initialized; nothing new.
    expect(newStateChanges([n('motion', true, true), n('tamper', false, true)], known)).toEqual([]);
    expect(newStateChanges([n('motion', false), n('tamper', true)], known)).toEqual([n('motion', false), n('tamper', true)]);
  });

  it('a state already active at subscription is news', () => {
    expect(newStateChanges([n('tamper', true, true)], new Map())).toEqual([n('tamper', true, true)]);
  });
});
