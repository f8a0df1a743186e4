// Threshold rules through the engine, and the alarm lifecycle they drive: levels, hysteresis,
// minimum durations, escalation, acknowledgement, flapping. Tables: steps in, changes out.
import { describe, expect, it } from 'vitest';
import { createAlarmEngine } from './engine.js';
import { compiled, play, reading, T0, S, type Step } from './testing/fixtures.js';

function gasRules(extra = ''): string {
  return `
version: 1
flap: false
rules:
  - id: gas
    kind: threshold
    profile: generic-lel-gas-detector
    field: concentration
    name: Combustible gas
    labels: { high: first-level alarm, highHigh: second-level alarm }
    deadband: 2
${extra.replace(/^/gm, '    ')}
`;
}

const cases: { name: string; extra?: string; steps: Step[]; log: string[] }[] = [
  {
    name: 'raises at 25 %LEL, escalates at 50, de-escalates and clears only past the deadband',
    steps: [[0, 10], [10, 26], [20, 24], [30, 51], [40, 49], [50, 47.9], [60, 23.5], [70, 22.9]],
    log: ['10: raised major first-level alarm', '30: raised critical second-level alarm', '50: raised major first-level alarm', '70: cleared'],
  },
  {
    name: 'a level is reached at exactly its value',
    steps: [[0, 25], [10, 50]],
    log: ['0: raised major first-level alarm', '10: raised critical second-level alarm'],
  },
  {
    name: 'goes straight to the highest level reached',
    steps: [[0, 0], [10, 80], [20, 0]],
    log: ['10: raised critical second-level alarm', '20: cleared'],
  },
  {
    name: 'minimum duration: the condition must hold for raiseAfterS, a dip restarts it',
    extra: 'raiseAfterS: 30',
    steps: [[0, 30], [10, 30], [20, 10], [30, 30], [50, 30], [60, 30]],
    log: ['60: raised major first-level alarm'],
  },
  {
    name: 'minimum duration elapsing between samples is raised by tick, at the moment it elapsed',
    extra: 'raiseAfterS: 30',
    steps: [[0, 30], ['tick', 20], ['tick', 31]],
    log: ['30: raised major first-level alarm'],
  },
  {
    name: 'escalation waits for its own minimum duration',
    extra: 'raiseAfterS: 30',
    steps: [[0, 30], [30, 60], [40, 60], ['tick', 61]],
    log: ['30: raised major first-level alarm', '60: raised critical second-level alarm'],
  },
  {
    name: 'clearAfterS: normal must last before clearing (tick), a relapse restarts it',
    extra: 'clearAfterS: 60',
    steps: [[0, 30], [10, 5], [40, 30], [50, 5], ['tick', 100], ['tick', 111]],
    log: ['0: raised major first-level alarm', '110: cleared'],
  },
  {
    name: 'clearAfterS also holds a de-escalation back; it goes to the highest level seen meanwhile',
    extra: 'clearAfterS: 60',
    steps: [[0, 60], [10, 30], [20, 10], [30, 30], [70, 30]],
    log: ['0: raised critical second-level alarm', '70: raised major first-level alarm'],
  },
  {
    name: 'bad readings neither raise nor clear',
    steps: [[0, 60, 'bad'], [10, 30], [20, 0, 'bad'], [30, 31, 'uncertain']],
    log: ['10: raised major first-level alarm'],
  },
  {
    name: 'a replayed older reading does not rewind the rule',
    steps: [[10, 30], [5, 0], [10, 0], [20, 0]],
    log: ['10: raised major first-level alarm', '20: cleared'],
  },
];

describe('threshold rules', () => {
  it.each(cases)('$name', ({ extra, steps, log }) => {
    const engine = createAlarmEngine(compiled(gasRules(extra)));
    expect(play(engine, 'gas-1', 'concentration', steps).log).toEqual(log);
  });

  it('keeps one id through escalation and de-escalation, asks for pictures on raise and escalation only', () => {
    const engine = createAlarmEngine(compiled(gasRules()));
    const { changes } = play(engine, 'gas-1', 'concentration', [[0, 30], [10, 60], [20, 30], [30, 0]]);
    expect(new Set(changes.map((c) => c.alarm.id))).toEqual(new Set([`s1:gas-1:gas:${T0}`]));
    expect(changes.map((c) => [c.previous, c.capture])).toEqual([[undefined, true], ['raised', true], ['raised', false], ['raised', false]]);
    expect(changes.map((c) => c.alarm.raisedAt)).toEqual([T0, T0, T0, T0]);
    expect(changes[0]!.alarm).toMatchObject({
      v: 1, site: 's1', device: 'gas-1', gateway: 'gw-1', rule: 'gas', field: 'concentration', kind: 'threshold',
      value: 30, threshold: 25, unit: '%LEL', receivedAt: T0 + 200,
      message: 'Combustible gas 30 %LEL at s1/gas-1 is above the first-level alarm 25 %LEL',
    });
    expect(changes[3]!.alarm.message).toBe('Combustible gas 0 %LEL at s1/gas-1 is back below the first-level alarm 25 %LEL');
    expect(engine.active()).toEqual([]);
  });

  it('words water levels in metres from a millimetre sensor, as staff know them', () => {
    const engine = createAlarmEngine(compiled(`
version: 1
rules:
  - { id: water-level, kind: threshold, profile: hlk-ld8001h, field: water_level, name: Water level, unit: m, decimals: 2,
      labels: { high: warning level, highHigh: guarantee level }, sites: { jiejinkou: { high: 3.0, highHigh: 3.2 } } }`));
    const [change] = engine.evaluate(reading('level-1', T0, { water_level: 3420 }, { site: 'jiejinkou' }));
    expect(change!.alarm).toMatchObject({
      severity: 'critical', level: 'guarantee level', value: 3.42, threshold: 3.2, unit: 'm',
      message: 'Water level 3.42 m at jiejinkou/level-1 is above the guarantee level 3.20 m',
    });
    // No levels set for this station: nothing is checked there.
    expect(engine.evaluate(reading('level-1', T0, { water_level: 9000 }, { site: 'fuyuan' }))).toEqual([]);
  });

  it('watches both sides: low and low-low, and a jump across is a clear and a new alarm', () => {
    const engine = createAlarmEngine(compiled('version: 1\nflap: false'));
    const { log, changes } = play(engine, 'th-1', 'temperature', [[0, -41], [10, -46], [20, -30], [30, 36], [40, -41]]);
    expect(log).toEqual([
      '0: raised major low level', '10: raised critical low-low level', '20: cleared',
      '30: raised major high level', '40: cleared', '40: raised major low level',
    ]);
    expect(changes[1]!.alarm.message).toBe('Temperature -46 °C at s1/th-1 is below the low-low level -45 °C');
  });
});

describe('acknowledgement', () => {
  it('an acknowledged alarm that escalates is raised again and needs a new acknowledgement', () => {
    const engine = createAlarmEngine(compiled(gasRules()));
    const { log, changes } = play(engine, 'gas-1', 'concentration', [[0, 30], ['ack', 5], [10, 60], ['ack', 15]]);
    expect(log).toEqual(['0: raised major first-level alarm', '5: acknowledged major first-level alarm', '10: raised critical second-level alarm', '15: acknowledged critical second-level alarm']);
    expect(changes[1]!.alarm).toMatchObject({ by: 'duty officer', note: 'crew on the way' });
    expect(changes[1]!.previous).toBe('raised');
    expect(changes[2]!.alarm.by).toBeUndefined();
    expect(changes[2]!.previous).toBe('acknowledged');
    expect(changes[2]!.capture).toBe(true);
  });

  it('a de-escalation keeps the acknowledgement', () => {
    const engine = createAlarmEngine(compiled(gasRules()));
    const { log, changes } = play(engine, 'gas-1', 'concentration', [[0, 60], ['ack', 5], [10, 30], [20, 0]]);
    expect(log).toEqual(['0: raised critical second-level alarm', '5: acknowledged critical second-level alarm', '10: acknowledged major first-level alarm', '20: cleared']);
    expect(changes[2]!.alarm.by).toBe('duty officer');
    expect(changes[3]!.previous).toBe('acknowledged');
  });

  it('answers unknown, twice acknowledged and already cleared alarms', () => {
    const engine = createAlarmEngine(compiled(gasRules()));
    const [raised] = engine.evaluate(reading('gas-1', T0, { concentration: 30 }));
    const id = raised!.alarm.id;
    expect(engine.acknowledge('nope', 'a', undefined, T0)).toMatchObject({ ok: false, reason: 'unknown' });
    expect(engine.acknowledge(id, 'a', undefined, T0 + S)).toMatchObject({ ok: true, change: { alarm: { state: 'acknowledged', by: 'a' } } });
    expect(engine.acknowledge(id, 'b', undefined, T0 + 2 * S)).toMatchObject({ ok: false, reason: 'already-acknowledged', message: `alarm ${id} was already acknowledged by a` });
    engine.evaluate(reading('gas-1', T0 + 10 * S, { concentration: 0 }));
    expect(engine.acknowledge(id, 'b', undefined, T0 + 20 * S)).toMatchObject({ ok: false, reason: 'cleared' });
  });
});

describe('flap suppression', () => {
  const flapping = gasRules().replace('flap: false', 'flap: { raises: 3, withinS: 600, stableS: 300 }');
  const toggles: Step[] = [[0, 30], [10, 10], [20, 30], [30, 10], [40, 30], [50, 10], [60, 30], [70, 10]];

  it('keeps an alarm that keeps toggling active, says so, and clears it once normal for stableS (tick)', () => {
    const engine = createAlarmEngine(compiled(flapping));
    const { log, changes } = play(engine, 'gas-1', 'concentration', [...toggles, ['tick', 369], ['tick', 371]]);
    expect(log).toEqual([
      '0: raised major first-level alarm', '10: cleared', '20: raised major first-level alarm', '30: cleared',
      '40: raised major first-level alarm', '50: raised major first-level alarm', '370: cleared',
    ]);
    expect(changes[5]!.alarm.message).toBe(
      'Combustible gas 10 %LEL at s1/gas-1 is back below the first-level alarm 25 %LEL. But this alarm was raised 3 times in 10 min: it stays active (flapping) until normal for 5 min',
    );
    expect(changes[5]!.previous).toBe('raised');
    expect(changes[5]!.capture).toBe(false);
    expect(changes[6]!.alarm.message).toMatch(/Normal for 5 min after flapping: cleared$/);
    expect(changes[6]!.alarm.id).toBe(changes[4]!.alarm.id);
  });

  it('releases the hold on a sample too, and escalates while held', () => {
    const engine = createAlarmEngine(compiled(flapping));
    const { log } = play(engine, 'gas-1', 'concentration', [...toggles, [80, 60], [90, 10], [300, 10], [395, 10]]);
    expect(log.slice(6)).toEqual(['80: raised critical second-level alarm', '395: cleared']); // normal since 90, held 300 s
  });

  it('keeps the acknowledgement through the hold', () => {
    const engine = createAlarmEngine(compiled(flapping));
    const { changes } = play(engine, 'gas-1', 'concentration', [[0, 30], [10, 10], [20, 30], [30, 10], [40, 30], ['ack', 45], [50, 10]]);
    expect(changes.at(-1)!.alarm).toMatchObject({ state: 'acknowledged', by: 'duty officer' });
  });
});
