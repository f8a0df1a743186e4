// What a write command sends, and what it refuses, as a table.
import { describe, expect, it } from 'vitest';
import { parseProfile } from './profile.js';
import { planWrite, writable } from './point-write.js';

const profile = parseProfile({
  name: 'siren-radar',
  manufacturer: 't',
  model: 't',
  measurement: 'water',
  source: 't',
  points: [
    { name: 'siren', table: 'coil', address: 0, type: 'bool', access: 'rw' },
    { name: 'strobe', table: 'coil', address: 1, type: 'bool' },
    { name: 'install_height', table: 'holding', address: 0x10, type: 'uint16', scale: 0.01, access: 'rw' },
    { name: 'offset_mm', table: 'holding', address: 0x11, type: 'int16', access: 'rw' },
    { name: 'setpoint', table: 'holding', address: 0x12, type: 'float32', wordOrder: 'CDAB', access: 'rw' },
    { name: 'counter', table: 'holding', address: 0x14, type: 'uint32', access: 'rw' },
    { name: 'level', table: 'input', address: 0, type: 'uint16' },
    { name: 'alarm_bit', table: 'holding', address: 0x20, type: 'bool', bit: 3, access: 'rw' },
    { name: 'tag', table: 'holding', address: 0x30, type: 'string', length: 4, access: 'rw' },
    { name: 'mode', table: 'holding', address: 0x40, type: 'uint16' },
  ],
});
const point = (name: string) => profile.points.find((p) => p.name === name)!;

describe('planWrite', () => {
  const accepted: { name: string; point: string; value: number | boolean; expected: unknown }[] = [
    { name: 'a coil on', point: 'siren', value: true, expected: { table: 'coil', address: 0, value: true } },
    { name: 'a coil off by 0', point: 'siren', value: 0, expected: { table: 'coil', address: 0, value: false } },
    { name: 'a scaled register: 12.34 m at ×0.01', point: 'install_height', value: 12.34, expected: { table: 'holding', address: 0x10, words: [1234] } },
    { name: 'a negative int16', point: 'offset_mm', value: -5, expected: { table: 'holding', address: 0x11, words: [0xfffb] } },
    { name: 'a float32, word-swapped', point: 'setpoint', value: 229.7, expected: { table: 'holding', address: 0x12, words: [0xb333, 0x4365] } },
    { name: 'a uint32 over two registers', point: 'counter', value: 305419896, expected: { table: 'holding', address: 0x14, words: [0x1234, 0x5678] } },
    { name: 'rounding within half a step', point: 'install_height', value: 12.344, expected: { table: 'holding', address: 0x10, words: [1234] } },
  ];
  it.each(accepted)('$name', ({ point: name, value, expected }) => {
    expect(planWrite(point(name), value)).toEqual(expected);
  });

  const refused: { name: string; point: string; value: number | boolean; message: RegExp }[] = [
    { name: 'an input register', point: 'level', value: 1, message: /cannot write "level": it is in the read-only input table/ },
    { name: 'a coil not marked rw', point: 'strobe', value: true, message: /does not mark it writable \(access: rw\)/ },
    { name: 'a holding register not marked rw', point: 'mode', value: 1, message: /does not mark it writable/ },
    { name: 'a number other than 0/1 to a coil', point: 'siren', value: 2, message: /a coil takes true\/false \(or 1\/0\), not 2/ },
    { name: 'a boolean to a register', point: 'offset_mm', value: true, message: /takes a finite number, not true/ },
    { name: 'a value above the range', point: 'install_height', value: 700, message: /700 is out of range for uint16 ×0.01 \(it would read back as 655.35\)/ },
    { name: 'a negative value to an unsigned register', point: 'counter', value: -1, message: /out of range for uint32/ },
    { name: 'NaN', point: 'setpoint', value: Number.NaN, message: /finite number/ },
    { name: 'a bit inside a register', point: 'alarm_bit', value: true, message: /bit 3 of a holding register: writing it alone would overwrite/ },
    { name: 'a text point', point: 'tag', value: 1, message: /text points cannot be written/ },
  ];
  it.each(refused)('refuses $name', ({ point: name, value, message }) => {
    expect(() => planWrite(point(name), value)).toThrow(message);
  });

  it('lists what is writable', () => {
    expect(profile.points.filter(writable).map((p) => p.name)).toEqual(['siren', 'install_height', 'offset_mm', 'setpoint', 'counter', 'alarm_bit', 'tag']);
  });
});
