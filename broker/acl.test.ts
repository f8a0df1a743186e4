// Table of ACL cases: each row is who, what, where, and the expected decision.
import { describe, expect, it } from 'vitest';
import { checkAccess, parseTopicFilter, type AclAction, type AclSubject } from './acl.js';

const gw: AclSubject = { role: 'gateway', site: 'tj-east', gateway: 'gw-1' };
const ingest: AclSubject = { role: 'ingest' };
const api: AclSubject = { role: 'api' };

type Case = [name: string, subject: AclSubject, action: AclAction, topic: string, retain: boolean, expected: true | string];

const cases: Case[] = [
  // gateway: publishes its own data channels
  ['gw own telemetry', gw, 'publish', 'sb/v1/gw/tj-east/gw-1/telemetry/meter-1', false, true],
  ['gw own status, retained', gw, 'publish', 'sb/v1/gw/tj-east/gw-1/status', true, true],
  ['gw own status, not retained', gw, 'publish', 'sb/v1/gw/tj-east/gw-1/status', false, true],
  ['gw own event', gw, 'publish', 'sb/v1/gw/tj-east/gw-1/event/cam-2', false, true],
  ['gw own snapshot', gw, 'publish', 'sb/v1/gw/tj-east/gw-1/snapshot/cam-2', false, true],
  ['gw retained telemetry', gw, 'publish', 'sb/v1/gw/tj-east/gw-1/telemetry/meter-1', true, 'retain not allowed on telemetry'],
  ['gw other gateway, same site', gw, 'publish', 'sb/v1/gw/tj-east/gw-2/telemetry/meter-1', false, "another gateway's topic"],
  ['gw same gateway id, other site', gw, 'publish', 'sb/v1/gw/tj-west/gw-1/telemetry/meter-1', false, "another gateway's topic"],
  ['gw other status', gw, 'publish', 'sb/v1/gw/tj-east/gw-2/status', true, "another gateway's topic"],
  ['gw own config', gw, 'publish', 'sb/v1/gw/tj-east/gw-1/config', true, 'gateway may not publish config'],
  ['gw own command', gw, 'publish', 'sb/v1/gw/tj-east/gw-1/command', false, 'gateway may not publish command'],
  ['gw alarm', gw, 'publish', 'sb/v1/alarm/tj-east/meter-1', false, 'gateway may not publish alarm'],
  ['gw telemetry without device', gw, 'publish', 'sb/v1/gw/tj-east/gw-1/telemetry', false, 'not a v1 topic'],
  ['gw status with extra level', gw, 'publish', 'sb/v1/gw/tj-east/gw-1/status/x', false, 'not a v1 topic'],
  ['gw unknown channel', gw, 'publish', 'sb/v1/gw/tj-east/gw-1/logs/x', false, 'not a v1 topic'],
  ['gw uppercase id', gw, 'publish', 'sb/v1/gw/TJ-EAST/gw-1/status', false, 'not a v1 topic'],
  ['gw $SYS', gw, 'publish', '$SYS/broker/heartbeat', false, '$ topics are reserved'],
  ['gw outside prefix', gw, 'publish', 'other/tj-east/gw-1', false, 'outside sb/v1/'],
  ['gw other version', gw, 'publish', 'sb/v2/gw/tj-east/gw-1/status', false, 'outside sb/v1/'],
  ['gw bare prefix', gw, 'publish', 'sb/v1', false, 'outside sb/v1/'],
  ['gw empty level', gw, 'publish', 'sb/v1/gw/tj-east//status', false, 'not a v1 topic'],
  // gateway: subscribes only to its own config and command, written out
  ['gw sub own config', gw, 'subscribe', 'sb/v1/gw/tj-east/gw-1/config', false, true],
  ['gw sub own command', gw, 'subscribe', 'sb/v1/gw/tj-east/gw-1/command', false, true],
  ['gw sub other config', gw, 'subscribe', 'sb/v1/gw/tj-east/gw-2/config', false, "another gateway's topic"],
  ['gw sub other command', gw, 'subscribe', 'sb/v1/gw/tj-west/gw-1/command', false, "another gateway's topic"],
  ['gw sub wildcard gateway', gw, 'subscribe', 'sb/v1/gw/tj-east/+/config', false, 'wildcards not allowed for gateways'],
  ['gw sub wildcard site', gw, 'subscribe', 'sb/v1/gw/+/gw-1/command', false, 'wildcards not allowed for gateways'],
  ['gw sub # under own', gw, 'subscribe', 'sb/v1/gw/tj-east/gw-1/#', false, '# wildcard not allowed'],
  ['gw sub own telemetry', gw, 'subscribe', 'sb/v1/gw/tj-east/gw-1/telemetry/meter-1', false, 'gateway may not subscribe telemetry'],
  ['gw sub own status', gw, 'subscribe', 'sb/v1/gw/tj-east/gw-1/status', false, 'gateway may not subscribe status'],
  ['gw sub wildcard channel', gw, 'subscribe', 'sb/v1/gw/tj-east/gw-1/+', false, 'not a v1 topic'],
  ['gw sub #', gw, 'subscribe', '#', false, 'outside sb/v1/'],
  ['gw sub $SYS', gw, 'subscribe', '$SYS/#', false, '$ topics are reserved'],
  // ingest: reads all gateway data, writes alarms
  ['ingest sub telemetry', ingest, 'subscribe', 'sb/v1/gw/+/+/telemetry/+', false, true],
  ['ingest sub status', ingest, 'subscribe', 'sb/v1/gw/+/+/status', false, true],
  ['ingest sub event', ingest, 'subscribe', 'sb/v1/gw/+/+/event/+', false, true],
  ['ingest sub snapshot', ingest, 'subscribe', 'sb/v1/gw/+/+/snapshot/+', false, true],
  ['ingest sub one site', ingest, 'subscribe', 'sb/v1/gw/tj-east/+/telemetry/+', false, true],
  ['ingest sub one device', ingest, 'subscribe', 'sb/v1/gw/tj-east/gw-1/telemetry/meter-1', false, true],
  ['ingest sub config', ingest, 'subscribe', 'sb/v1/gw/+/+/config', false, 'ingest may not subscribe config'],
  ['ingest sub command', ingest, 'subscribe', 'sb/v1/gw/tj-east/gw-1/command', false, 'ingest may not subscribe command'],
  ['ingest sub wildcard channel', ingest, 'subscribe', 'sb/v1/gw/+/+/+/+', false, 'not a v1 topic'],
  ['ingest sub gw #', ingest, 'subscribe', 'sb/v1/gw/#', false, '# wildcard not allowed'],
  ['ingest sub wildcard namespace', ingest, 'subscribe', 'sb/v1/+/+/+/status', false, 'not a v1 topic'],
  ['ingest sub alarms (acknowledgements)', ingest, 'subscribe', 'sb/v1/alarm/+/+', false, true],
  ['ingest pub alarm', ingest, 'publish', 'sb/v1/alarm/tj-east/river-gauge-3', false, true],
  ['ingest pub retained alarm', ingest, 'publish', 'sb/v1/alarm/tj-east/river-gauge-3', true, 'retain not allowed on alarm'],
  ['ingest pub telemetry', ingest, 'publish', 'sb/v1/gw/tj-east/gw-1/telemetry/meter-1', false, 'ingest may not publish telemetry'],
  ['ingest pub capture command', ingest, 'publish', 'sb/v1/gw/tj-east/gw-1/command', false, true],
  ['ingest pub retained command', ingest, 'publish', 'sb/v1/gw/tj-east/gw-1/command', true, 'retain not allowed on command'],
  ['ingest pub config', ingest, 'publish', 'sb/v1/gw/tj-east/gw-1/config', true, 'ingest may not publish config'],
  ['ingest pub $SYS', ingest, 'publish', '$SYS/x', false, '$ topics are reserved'],
  // api: reads status, events, alarms, telemetry (live stream); writes config (retained), commands (never retained), alarm acks
  ['api sub status', api, 'subscribe', 'sb/v1/gw/+/+/status', false, true],
  ['api sub event', api, 'subscribe', 'sb/v1/gw/+/+/event/+', false, true],
  ['api sub alarms', api, 'subscribe', 'sb/v1/alarm/+/+', false, true],
  ['api sub one site alarms', api, 'subscribe', 'sb/v1/alarm/tj-east/+', false, true],
  ['api sub telemetry (live stream)', api, 'subscribe', 'sb/v1/gw/+/+/telemetry/+', false, true],
  ['api sub one site telemetry', api, 'subscribe', 'sb/v1/gw/tj-east/+/telemetry/+', false, true],
  ['api pub telemetry', api, 'publish', 'sb/v1/gw/tj-east/gw-1/telemetry/meter-1', false, 'api may not publish telemetry'],
  ['api sub config', api, 'subscribe', 'sb/v1/gw/+/+/config', false, 'api may not subscribe config'],
  ['api sub alarm #', api, 'subscribe', 'sb/v1/alarm/#', false, '# wildcard not allowed'],
  ['api pub config retained', api, 'publish', 'sb/v1/gw/tj-east/gw-1/config', true, true],
  ['api pub config', api, 'publish', 'sb/v1/gw/tj-east/gw-1/config', false, true],
  ['api pub command', api, 'publish', 'sb/v1/gw/tj-east/gw-1/command', false, true],
  ['api pub retained command', api, 'publish', 'sb/v1/gw/tj-east/gw-1/command', true, 'retain not allowed on command'],
  ['api pub status', api, 'publish', 'sb/v1/gw/tj-east/gw-1/status', true, 'api may not publish status'],
  ['api pub alarm (acknowledge)', api, 'publish', 'sb/v1/alarm/tj-east/x', false, true],
  ['api pub retained alarm', api, 'publish', 'sb/v1/alarm/tj-east/x', true, 'retain not allowed on alarm'],
  ['api pub outside', api, 'publish', 'homeassistant/switch/x', false, 'outside sb/v1/'],
];

describe('checkAccess', () => {
  it.each(cases)('%s', (_name, subject, action, topic, retain, expected) => {
    const decision = checkAccess(subject, action, topic, { retain });
    expect(decision).toEqual(expected === true ? { allowed: true } : { allowed: false, reason: expected });
  });
});

describe('parseTopicFilter', () => {
  it.each([
    ['sb/v1/gw/+/+/telemetry/+', { kind: 'gateway', site: '+', gateway: '+', channel: 'telemetry', device: '+' }],
    ['sb/v1/gw/tj-east/+/status', { kind: 'gateway', site: 'tj-east', gateway: '+', channel: 'status' }],
    ['sb/v1/alarm/+/pump-1', { kind: 'alarm', site: '+', device: 'pump-1' }],
    ['sb/v1/gw/+/+/+', undefined],
    ['sb/v1/+/a/b', undefined],
    ['+/v1/gw/a/b/status', undefined],
    ['sb/v1/gw/a/b/status/+', undefined],
  ])('%s', (filter, expected) => {
    expect(parseTopicFilter(filter)).toEqual(expected);
  });
});
