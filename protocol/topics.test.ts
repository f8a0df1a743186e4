import { describe, expect, it } from 'vitest';
import { filters, parseTopic, topics } from './topics.js';

const ref = { site: 'jiejinkou', gateway: 'gw-01' };

describe('topic scheme', () => {
  it.each([
    [topics.telemetry(ref, 'th-1'), 'sb/v1/gw/jiejinkou/gw-01/telemetry/th-1'],
    [topics.status(ref), 'sb/v1/gw/jiejinkou/gw-01/status'],
    [topics.event(ref, 'pm-1'), 'sb/v1/gw/jiejinkou/gw-01/event/pm-1'],
    [topics.snapshot(ref, 'cam-1'), 'sb/v1/gw/jiejinkou/gw-01/snapshot/cam-1'],
    [topics.config(ref), 'sb/v1/gw/jiejinkou/gw-01/config'],
    [topics.command(ref), 'sb/v1/gw/jiejinkou/gw-01/command'],
    [topics.alarm('jiejinkou', 'gauge-1'), 'sb/v1/alarm/jiejinkou/gauge-1'],
  ])('builds %s', (built, expected) => {
    expect(built).toBe(expected);
  });

  it.each([
    ['upper case site', () => topics.status({ site: 'Jiejinkou', gateway: 'gw' })],
    ['wildcard in device', () => topics.telemetry(ref, '+')],
    ['slash in gateway', () => topics.status({ site: 's', gateway: 'a/b' })],
    ['empty device', () => topics.telemetry(ref, '')],
    ['65-char id', () => topics.telemetry(ref, 'a'.repeat(65))],
  ])('refuses %s', (_name, build) => {
    expect(build).toThrow(/invalid/);
  });

  it.each([
    ['sb/v1/gw/s/g/telemetry/d', { kind: 'gateway', site: 's', gateway: 'g', channel: 'telemetry', device: 'd' }],
    ['sb/v1/gw/s/g/status', { kind: 'gateway', site: 's', gateway: 'g', channel: 'status' }],
    ['sb/v1/alarm/s/d', { kind: 'alarm', site: 's', device: 'd' }],
    ['sb/v1/gw/s/g/telemetry', undefined],
    ['sb/v1/gw/s/g/status/extra', undefined],
    ['sb/v1/gw/s/g/bogus/d', undefined],
    ['sb/v2/gw/s/g/status', undefined],
    ['sb/v1/gw/S/g/status', undefined],
    ['sb/v1/gw/s/g/telemetry/d/e', undefined],
    ['', undefined],
  ])('parses %j', (topic, expected) => {
    expect(parseTopic(topic)).toEqual(expected);
  });

  it('backend filters cover what gateways publish', () => {
    expect(filters.allTelemetry).toBe('sb/v1/gw/+/+/telemetry/+');
    expect(filters.allStatus).toBe('sb/v1/gw/+/+/status');
  });
});
