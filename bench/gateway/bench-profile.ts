// The synthetic device of part (b): N points laid out like a multifunction meter or a water
// quality station (runs of float32 measurands, a few int16 settings with gaps, status coils),
// with moving simulated values so every poll encodes and decodes fresh numbers.
import { parseProfile } from '../../gateway/profile.js';
import type { DeviceProfile } from '../../gateway/profile-schema.js';

export function benchProfile(points: number): DeviceProfile {
  const list: Record<string, unknown>[] = [];
  const walk = (mean: number) => ({ model: 'random-walk', mean, spread: mean / 10 + 1, timescaleS: 60, noise: 0.1 });
  for (let i = 0; i < points; i++) {
    const kind = i % 10;
    if (kind < 6) {
      // float32 measurands in one contiguous input block.
      const n = list.filter((p) => p.table === 'input').length;
      list.push({ name: `f${i}`, table: 'input', address: 0x1000 + n * 2, type: 'float32', simulation: walk(230) });
    } else if (kind < 9) {
      // int16 holding registers spaced 2 apart (a gap of 1 between them).
      const n = list.filter((p) => p.table === 'holding').length;
      list.push({ name: `h${i}`, table: 'holding', address: 0x2000 + n * 2, type: 'int16', scale: 0.1, simulation: walk(20) });
    } else {
      const n = list.filter((p) => p.table === 'coil').length;
      list.push({ name: `c${i}`, table: 'coil', address: n, type: 'bool', simulation: { model: 'toggle', periodS: 30 + n } });
    }
  }
  return parseProfile({ name: 'bench-meter', manufacturer: 'bench', model: `${points} points`, measurement: 'energy', source: 'bench/gateway', points: list });
}
