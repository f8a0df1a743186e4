// Parsing /proc CPU times and turning two snapshots into cores used.
import { describe, expect, it } from 'vitest';
import { cpuBetween, parseMachineTicks, parseProcessTicks } from './cpu-usage.js';

describe('/proc parsing', () => {
  it('reads busy and total ticks from the aggregate cpu line of /proc/stat', () => {
    const stat = 'cpu  100 5 50 800 20 3 2 1 0 0\ncpu0 50 2 25 400 10 1 1 0 0 0\nintr 1\n';
    expect(parseMachineTicks(stat)).toEqual({ busy: 100 + 5 + 50 + 3 + 2 + 1, total: 981 });
  });

  it.each([
    ['a plain command name', '1234 (node) S 1 1234 1234 0 -1 4194560 500 0 0 0 170 30 0 0 20 0 11 0 100 1 1'],
    ['a name with spaces and parentheses', '1234 (influxd (x) y) S 1 1234 1234 0 -1 4194560 500 0 0 0 170 30 0 0 20 0 11 0 100 1 1'],
  ])('reads utime + stime of /proc/<pid>/stat with %s', (_name, line) => {
    expect(parseProcessTicks(line)).toBe(200);
  });

  it('turns two snapshots into cores and the busy share of the machine', () => {
    const start = { atMs: 0, machine: { busy: 100, total: 400 }, ticks: { influxd: 50, gone: 5 } };
    const end = { atMs: 2000, machine: { busy: 400, total: 800 }, ticks: { influxd: 200 } };
    expect(cpuBetween(start, end)).toEqual({ machineBusy: 0.75, cores: { influxd: 0.75 } });
  });
});
