// A small writable test device shared by the acquisition and RTU bus tests: a radar level
// gauge with a settable install height (holding register) and a siren relay (coil).
import { parseProfile } from '../../gateway/profile.js';

export const levelGaugeProfile = parseProfile({
  name: 'level-gauge',
  manufacturer: 'test',
  model: 'test',
  measurement: 'water',
  source: 'test',
  points: [
    { name: 'level', table: 'input', address: 0, type: 'uint16', scale: 0.01, unit: 'm', simulation: { model: 'constant', value: 2.5 } },
    { name: 'install_height', table: 'holding', address: 0x10, type: 'uint16', scale: 0.01, unit: 'm', access: 'rw', simulation: { model: 'constant', value: 8 } },
    { name: 'siren', table: 'coil', address: 0, type: 'bool', access: 'rw', simulation: { model: 'constant', value: false } },
  ],
});
