// Replacing the rules while alarms are active, restoring active alarms after a restart, and alarm ids.
import { describe, expect, it } from 'vitest';
import { alarmSchema } from '../../protocol/index.js';
import { createAlarmEngine } from './engine.js';
import { alarmId } from './lifecycle.js';
import { checked, compiled, health, reading, summary, T0, S } from './testing/fixtures.js';

const GAS = (extra = '') => `
version: 1
flap: false
rules:
  - id: gas
    kind: threshold
    profile: generic-lel-gas-detector
    field: concentration
${extra}`;

function raisedEngine(rules = GAS()) {
  const engine = createAlarmEngine(compiled(rules));
  const [raised] = engine.evaluate(reading('gas-1', T0, { concentration: 30 }));
  return { engine, id: raised!.alarm.id };
}

describe('replaceRules (reload)', () => {
  it('keeps an alarm whose rule still applies, with its id and acknowledgement', () => {
    const { engine, id } = raisedEngine();
    engine.acknowledge(id, 'duty officer', undefined, T0 + S);
    expect(engine.replaceRules(compiled(GAS('    deadband: 1')), T0 + 2 * S)).toEqual([]);
    expect(engine.active()).toMatchObject([{ id, state: 'acknowledged' }]);
    expect(engine.evaluate(reading('gas-1', T0 + 10 * S, { concentration: 31 }))).toEqual([]);
    expect(engine.evaluate(reading('gas-1', T0 + 20 * S, { concentration: 60 })).map(summary)).toEqual(['raised critical high-high level']);
  });

  it.each([
    { name: 'the rule is removed', rules: 'version: 1\nprofileHints: false', message: /^Alarm rule "gas" was removed from the alarm rules: alarm at s1\/gas-1 cleared \(it was: Concentration 30 %LEL/ },
    { name: 'the rule is disabled for the device', rules: GAS('    devices: { s1/gas-1: { enabled: false } }'), message: /^Alarm rule "gas" no longer applies to this device: alarm at s1\/gas-1 cleared/ },
    { name: 'the rule now watches another device model', rules: GAS().replace('profile: generic-lel-gas-detector\n    field: concentration', 'profile: th-transmitter\n    field: temperature'), message: /no longer applies/ },
    { name: 'the side of the alarm has no level left', rules: GAS('    high: null\n    highHigh: null\n    low: 5'), message: /has no level on this side any more/ },
  ])('clears the alarm when $name', ({ rules, message }) => {
    const { engine, id } = raisedEngine();
    const changes = checked(engine.replaceRules(compiled(rules), T0 + 5 * S));
    expect(changes).toHaveLength(1);
    expect(changes[0]!.alarm).toMatchObject({ id, state: 'cleared', ts: T0 + 5 * S, message: expect.stringMatching(message) });
    expect(engine.active()).toEqual([]);
  });

  it('applies new levels from the next reading: a raised level clears the alarm', () => {
    const { engine } = raisedEngine();
    engine.replaceRules(compiled(GAS('    high: 40')), T0 + S);
    expect(engine.evaluate(reading('gas-1', T0 + 10 * S, { concentration: 30 })).map(summary)).toEqual(['cleared']);
  });

  it('restarts minimum durations on reload', () => {
    const engine = createAlarmEngine(compiled(GAS('    raiseAfterS: 30')));
    engine.evaluate(reading('gas-1', T0, { concentration: 30 }));
    engine.replaceRules(compiled(GAS('    raiseAfterS: 30')), T0 + 20 * S);
    expect(engine.evaluate(reading('gas-1', T0 + 40 * S, { concentration: 30 }))).toEqual([]);
    expect(engine.evaluate(reading('gas-1', T0 + 70 * S, { concentration: 30 })).map(summary)).toEqual(['raised major high level']);
  });

  it('refuses rules that did not come from compileRules', () => {
    const { engine } = raisedEngine();
    expect(() => engine.replaceRules({ source: 'x', count: 0 }, T0)).toThrow(/compileRules/);
  });
});

describe('restore after a restart', () => {
  it('takes over the stored alarms: no second raise while it holds, the same id when it clears', () => {
    const { engine: before, id } = raisedEngine();
    before.acknowledge(id, 'duty officer', 'on site', T0 + S);
    const after = createAlarmEngine(compiled(GAS()));
    after.restore(before.active());
    expect(after.active()).toMatchObject([{ id, state: 'acknowledged', by: 'duty officer' }]);
    expect(after.evaluate(reading('gas-1', T0 + 60 * S, { concentration: 31 }))).toEqual([]);
    expect(after.tick(T0 + 61 * S)).toEqual([]);
    const [cleared] = checked(after.evaluate(reading('gas-1', T0 + 70 * S, { concentration: 3 })));
    expect(cleared).toMatchObject({ previous: 'acknowledged', alarm: { id, state: 'cleared', raisedAt: T0 } });
  });

  it('knows the level it was at: an escalation from there is an escalation, a new ack works', () => {
    const { engine: before, id } = raisedEngine();
    const after = createAlarmEngine(compiled(GAS()));
    after.restore(before.active());
    const [escalated] = checked(after.evaluate(reading('gas-1', T0 + 60 * S, { concentration: 55 })));
    expect(escalated).toMatchObject({ previous: 'raised', capture: true, alarm: { id, severity: 'critical', level: 'high-high level' } });
    expect(after.acknowledge(id, 'b', undefined, T0 + 70 * S).ok).toBe(true);
  });

  it('clears restored alarms whose rule is gone on the first tick', () => {
    const { engine: before, id } = raisedEngine();
    const after = createAlarmEngine(compiled('version: 1\nprofileHints: false'));
    after.restore(before.active());
    expect(checked(after.tick(T0 + 60 * S)).map((c) => [c.alarm.id, c.alarm.state])).toEqual([[id, 'cleared']]);
    expect(after.tick(T0 + 61 * S)).toEqual([]);
  });

  it('restores offline alarms, cleared by the next report', () => {
    const rules = 'version: 1\nprofileHints: false\nrules: [{ id: gw, kind: gateway-offline }]';
    const before = createAlarmEngine(compiled(rules));
    const [raised] = before.gatewayHealth(health(T0, false));
    const after = createAlarmEngine(compiled(rules));
    after.restore(before.active());
    expect(after.gatewayHealth(health(T0 + 60 * S, true)).map((c) => [c.alarm.id, c.alarm.state])).toEqual([[raised!.alarm.id, 'cleared']]);
  });
});

describe('alarm ids', () => {
  it('are site:device:rule:raisedAt, and stay within 128 characters and unique when names are long', () => {
    expect(alarmId('jiejinkou', 'level-1', 'water-level', T0)).toBe(`jiejinkou:level-1:water-level:${T0}`);
    const long = 'x'.repeat(64);
    const a = alarmId(long, long, 'water-level', T0);
    const b = alarmId(long, long, 'water-levels', T0);
    expect(a.length).toBeLessThanOrEqual(128);
    expect(a).not.toBe(b);
    expect(a.endsWith(`:${T0}`)).toBe(true);
    expect(alarmSchema.shape.id.safeParse(a).success).toBe(true);
  });

  it('differ for two alarms of one device and rule raised in turn', () => {
    const engine = createAlarmEngine(compiled(GAS()));
    const ids = [0, 10, 20].flatMap((s) => [
      ...engine.evaluate(reading('gas-1', T0 + s * S, { concentration: 30 })),
      ...engine.evaluate(reading('gas-1', T0 + (s + 5) * S, { concentration: 0 })),
    ]).map((c) => c.alarm.id);
    expect(new Set(ids).size).toBe(3);
  });
});

describe('restore: stale data', () => {
  it('a restored stale alarm clears on the first reading, in plain words', () => {
    const rules = 'version: 1\nprofileHints: false\nrules: [{ id: stale, kind: stale, expectedIntervalS: 60, minSilenceS: 0 }]';
    const before = createAlarmEngine(compiled(rules));
    before.evaluate(reading('th-1', T0, { temperature: 1 }));
    const [raised] = before.tick(T0 + 10 * 60 * S);
    const after = createAlarmEngine(compiled(rules));
    after.restore(before.active());
    const [cleared] = checked(after.evaluate(reading('th-1', T0 + 11 * 60 * S, { temperature: 1 })));
    expect(cleared!.alarm).toMatchObject({ id: raised!.alarm.id, state: 'cleared', message: 'Readings from s1/th-1 are arriving again' });
  });
});
