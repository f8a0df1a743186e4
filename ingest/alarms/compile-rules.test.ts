// compileRules: the file format, defaults from profile hints, overrides, and errors that name the rule.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultProfilesDir, findPackageRoot, loadProfileLibrary } from '../../gateway/profile.js';
import { compileRules, loadRules } from './compile-rules.js';
import { paramsFor, type ThresholdParams } from './compiled-rules.js';
import { compiled, errorsOf, PROFILES } from './testing/fixtures.js';

const WATER = `
version: 1
profileHints: false
rules:
  - id: water-level
    kind: threshold
    profile: hlk-ld8001h
    field: water_level
    unit: m
    labels: { high: warning level, highHigh: guarantee level }
    sites:
      jiejinkou: { high: 3.0, highHigh: 3.5 }
    devices:
      jiejinkou/level-1: { high: 3.2 }
      jiejinkou/level-2: { enabled: false }
`;

describe('compileRules', () => {
  it('compiles the example rules file against the real profile library', async () => {
    const root = findPackageRoot();
    const profiles = await loadProfileLibrary(defaultProfilesDir());
    const result = await loadRules(path.join(root, 'config/alarm-rules.example.yaml'), profiles);
    expect(result.ok ? [] : result.errors).toEqual([]);
    if (!result.ok) return;
    expect(result.rules.rules.map((r) => r.id)).toEqual([
      'gas-lel', 'water-level', 'water-rise', 'rainstorm', 'gamma-dose-rate', 'stale', 'device-offline', 'gateway-offline',
    ]);
    const gas = paramsFor(result.rules.rule('gas-lel')!, 'any', 'gas-1') as ThresholdParams;
    expect(gas.high.map((l) => [l.value, l.severity])).toEqual([[25, 'major'], [50, 'critical']]); // from the hints
    const lpg = paramsFor(result.rules.rule('gas-lel')!, 'port-chem', 'gas-3') as ThresholdParams;
    expect(lpg.high.map((l) => [l.value, l.label])).toEqual([[20, 'first-level gas alarm (LPG store)'], [50, 'second-level gas alarm']]);
    expect(result.rules.source).toBe(path.join(root, 'config/alarm-rules.example.yaml'));
    // The file the docs quote is the file that compiles.
    expect(await readFile(path.join(root, 'config/alarm-rules.example.yaml'), 'utf8')).toContain('id: rainstorm');
  });

  it('lays device overrides over site overrides over the rule, and converts units', () => {
    const rules = compiled(WATER);
    const rule = rules.rule('water-level')!;
    const level = (site: string, device: string) => {
      const p = paramsFor(rule, site, device) as ThresholdParams | null;
      return p && p.high.map((l) => `${l.label} ${l.value}`);
    };
    expect(level('jiejinkou', 'level-1')).toEqual(['warning level 3.2', 'guarantee level 3.5']);
    expect(level('jiejinkou', 'level-3')).toEqual(['warning level 3', 'guarantee level 3.5']);
    expect(level('jiejinkou', 'level-2')).toBeNull(); // disabled for this device
    expect(level('fuyuan', 'level-1')).toEqual([]); // no levels for this station: nothing to check
    expect((paramsFor(rule, 'jiejinkou', 'level-1') as ThresholdParams).factor).toBe(0.001); // mm → m
  });

  it('makes default threshold rules from profile hints, unless a rule of the file watches the point or hints are off', () => {
    const ids = (yaml: string) => compiled(yaml).rules.map((r) => r.id);
    expect(ids('version: 1')).toEqual(['generic-lel-gas-detector.concentration', 'th-transmitter.temperature']);
    expect(ids('version: 1\nrules: [{ id: gas, kind: threshold, profile: generic-lel-gas-detector, field: concentration }]'))
      .toEqual(['gas', 'th-transmitter.temperature']);
    expect(ids('version: 1\nprofileHints: false')).toEqual([]);
    const temperature = paramsFor(compiled('version: 1').rule('th-transmitter.temperature')!, 's', 'd') as ThresholdParams;
    expect(temperature.low.map((l) => `${l.key} ${l.value} ${l.severity}`)).toEqual(['low -40 major', 'lowLow -45 critical']);
    expect(temperature.high.map((l) => `${l.key} ${l.value} ${l.severity}`)).toEqual(['high 35 major']);
  });

  it('lets a rule drop a hinted level with null', () => {
    const rules = compiled('version: 1\nrules: [{ id: gas, kind: threshold, profile: generic-lel-gas-detector, field: concentration, highHigh: null }]');
    expect((paramsFor(rules.rule('gas')!, 's', 'd') as ThresholdParams).high.map((l) => l.value)).toEqual([25]);
  });

  it.each([
    ['a level ladder out of order, at the device that breaks it', WATER.replace('high: 3.2 }', 'high: 3.6 }'),
      'rules.0 (water-level @ jiejinkou/level-1): warning level 3.6 is above guarantee level 3.5'],
    ['a site ladder out of order', WATER.replace('{ high: 3.0, highHigh: 3.5 }', '{ high: 3.0, highHigh: 2.5 }'),
      'rules.0 (water-level @ jiejinkou): warning level 3 is above guarantee level 2.5'],
    ['an unknown profile', 'version: 1\nrules: [{ id: x, kind: threshold, profile: nope, field: a }]',
      'rules.0 (x): profile "nope" is not known (known profiles: generic-lel-gas-detector, hlk-ld8001h, th-transmitter, xunchip-xm9505-rain)'],
    ['a field the profile lacks', 'version: 1\nrules: [{ id: x, kind: threshold, profile: hlk-ld8001h, field: level }]',
      'rules.0 (x): profile hlk-ld8001h has no point "level" (its points: air_gap, water_level)'],
    ['a unit that cannot be converted', 'version: 1\nrules: [{ id: x, kind: threshold, profile: hlk-ld8001h, field: water_level, unit: "°C" }]',
      "rules.0 (x): unit: cannot convert the point's unit mm to °C"],
    ['a typo in a tunable', 'version: 1\nrules: [{ id: x, kind: threshold, profile: hlk-ld8001h, field: water_level, hihg: 3 }]',
      'rules.0 (x): Unrecognized key: "hihg"'],
    ['a wrong type in a device override', 'version: 1\nrules: [{ id: x, kind: threshold, profile: hlk-ld8001h, field: water_level, devices: { s/d: { high: "3 m" } } }]',
      'rules.0 (x): devices.s/d.high: Invalid input: expected number, received string'],
    ['a device key without its site', 'version: 1\nrules: [{ id: x, kind: stale, devices: { level-1: { factor: 2 } } }]',
      'rules.0 (x): devices.level-1: device keys are "site/device" (for gateway-offline "site/gateway")'],
    ['a duplicate id', 'version: 1\nrules: [{ id: x, kind: stale }, { id: x, kind: gateway-offline }]',
      'rules.1 (x): duplicate rule id (also rules.0)'],
    ['an unknown kind', 'version: 1\nrules: [{ id: x, kind: thresold }]',
      'rules.0 (x): kind: Invalid discriminator value'],
    ['rainstorm levels listed most severe first', `version: 1
rules:
  - { id: rain, kind: accumulation, profile: xunchip-xm9505-rain, field: rainfall,
      levels: [ { name: red, windowH: 3, atLeast: 100, severity: critical }, { name: orange, windowH: 3, atLeast: 50, severity: major } ] }`,
      'rules.0 (rain): level "orange" (50 in 3 h) is reached whenever "red" (100 in 3 h) is: list levels from least to most severe'],
    ['a rate rule without levels', 'version: 1\nrules: [{ id: rise, kind: rate-of-rise, profile: hlk-ld8001h, field: water_level }]',
      'rules.0 (rise): levels: a rate-of-rise rule needs at least one level (name, atLeast, severity)'],
    ['a missing version', 'rules: []', 'version: version: 1 expected'],
    ['an empty file', '  \n', 'the rules file is empty (it needs at least "version: 1")'],
  ])('refuses %s, naming it', (_what, yaml, expected) => {
    expect(errorsOf(yaml).some((e) => e.startsWith(expected))).toBe(true);
  });

  it('reports every bad rule, not only the first', () => {
    const errors = errorsOf(`version: 1
rules:
  - { id: a, kind: threshold, profile: nope, field: x }
  - { id: b, kind: stale, factor: 0 }
  - { id: c, kind: gateway-offline }`);
    expect(errors).toEqual(['rules.0 (a): profile "nope" is not known (known profiles: generic-lel-gas-detector, hlk-ld8001h, th-transmitter, xunchip-xm9505-rain)', 'rules.1 (b): factor: factor must be at least 1']);
  });

  it('refuses YAML that does not parse, and a file that cannot be read', async () => {
    expect(errorsOf('version: 1\nrules: [ {')[0]).toMatch(/^not valid YAML: /);
    const missing = await loadRules('/nonexistent/alarm-rules.yaml', PROFILES);
    expect(missing.ok ? [] : missing.errors).toEqual([expect.stringMatching(/^\/nonexistent\/alarm-rules.yaml: cannot read: /)]);
    expect(compileRules('version: 1', PROFILES, 'here.yaml').ok).toBe(true);
  });
});

describe('the example rules file in the engine', () => {
  it('raises the station levels in metres and skips the disabled gauge', async () => {
    const { createAlarmEngine } = await import('./engine.js');
    const root = findPackageRoot();
    const result = await loadRules(path.join(root, 'config/alarm-rules.example.yaml'), await loadProfileLibrary(defaultProfilesDir()));
    if (!result.ok) throw new Error(result.errors.join('\n'));
    const engine = createAlarmEngine(result.rules);
    const t = Date.UTC(2026, 3, 10);
    const level = (device: string, ts: number, mm: number) => engine.evaluate({
      site: 'jiejinkou', gateway: 'gw-1', device, measurement: 'water', profile: 'hlk-ld8001h', ts, values: { water_level: mm }, receivedAt: ts,
    });
    expect(level('level-1', t, 6950)).toEqual([]); // raiseAfterS: 120
    const [raised] = level('level-1', t + 120_000, 6950);
    expect(raised!.alarm.message).toBe('Water level 6.95 m at jiejinkou/level-1 is above the guarantee level 6.90 m');
    expect(level('level-2', t, 9000)).toEqual([]);
    expect(level('level-2', t + 300_000, 9000)).toEqual([]);
  });
});
