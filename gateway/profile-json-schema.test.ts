// The JSON Schema committed for editors matches the zod schema it is generated from, and
// describes the shipped profiles' shape.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultProfilesDir } from './profile.js';
import { PROFILE_SCHEMA_FILE, profileJsonSchema, profileJsonSchemaText } from './profile-json-schema.js';

describe('device-profiles/profile.schema.json', () => {
  it('is up to date (regenerate: shaobing profiles json-schema > device-profiles/profile.schema.json)', async () => {
    const committed = await readFile(path.join(defaultProfilesDir(), PROFILE_SCHEMA_FILE), 'utf8');
    expect(committed).toBe(profileJsonSchemaText());
  });

  it('offers editors the closed lists and the address rule', () => {
    const schema = profileJsonSchema() as { properties: { points: { items: { properties: Record<string, { enum?: unknown[]; anyOf?: { maximum?: number }[]; description?: string }>; additionalProperties?: boolean } } } };
    const point = schema.properties.points.items;
    expect(point.properties.type!.enum).toEqual(['int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'float32', 'float64', 'string', 'bool']);
    expect(point.properties.wordOrder!.enum).toEqual(['ABCD', 'CDAB', 'BADC', 'DCBA']);
    expect(point.properties.unit!.enum).toContain('µg/m³');
    expect(point.properties.address!.anyOf![0]!.maximum).toBe(0xffff);
    expect(point.properties.address!.description).toMatch(/0-based protocol address/);
    expect(point.additionalProperties).toBe(false);
  });
});
