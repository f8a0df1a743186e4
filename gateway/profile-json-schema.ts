// The JSON Schema of device-profile files, generated from the zod schema (profile-schema.ts) so
// that editors (VS Code's YAML extension via `# yaml-language-server: $schema=…`) complete and
// check profiles as technicians type. Pure. The committed copy is device-profiles/profile.schema.json;
// a test fails when it is out of date. Regenerate with `shaobing profiles json-schema > device-profiles/profile.schema.json`.
//
// It describes the INPUT a file may contain (hex addresses as strings, defaults optional). The
// checks that span fields (overlaps, bit only on bools, string length, …) cannot be expressed in
// JSON Schema: `shaobing profiles validate` is the authority.
import { z } from 'zod';
import { deviceProfileSchema } from './profile-schema.js';

export const PROFILE_SCHEMA_FILE = 'profile.schema.json';

export function profileJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(deviceProfileSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  return {
    $schema,
    $id: 'https://shaobing.invalid/device-profiles/profile.schema.json',
    title: 'Shaobing device profile',
    description:
      'A device model: its Modbus register map and how the simulator fakes each point. Addresses are 0-based protocol addresses. Cross-field rules (overlaps, bits, string lengths) are checked by `shaobing profiles validate`. Guide: docs/device-profiles.md.',
    ...rest,
  };
}

/** The schema as committed: two-space JSON with a final newline. */
export function profileJsonSchemaText(): string {
  return `${JSON.stringify(profileJsonSchema(), null, 2)}\n`;
}
