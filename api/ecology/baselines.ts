// Baselines of the ecology summary: per site (and optionally gateway/device) and field, the
// value a reading is compared with — a radiation background, a normal water level, a soil
// moisture norm — with its unit and where it came from. Read from a YAML/JSON file
// (setting ecology.baselinesFile, SB_ECOLOGY_BASELINES) and checked at start.
import { z } from 'zod';
import { ConfigError, readConfigFile } from '../../lib/config.js';
import { ID_PATTERN } from '../../protocol/index.js';

const id = z.string().regex(ID_PATTERN, 'must be lowercase letters, digits or "-", 1–64 characters');

export const baselineEntrySchema = z.strictObject({
  site: id,
  /** Absent: any gateway of the site. */
  gateway: id.optional(),
  /** Absent: every device of the site with this field. */
  device: id.optional(),
  field: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'field names are lowercase letters, digits and "_"'),
  value: z.number().finite(),
  unit: z.string().min(1),
  source: z.string().min(1, 'say where the baseline comes from (survey, report, commissioning record)'),
  note: z.string().min(1).optional(),
});
export type BaselineEntry = z.infer<typeof baselineEntrySchema>;

export const baselinesFileSchema = z.strictObject({ baselines: z.array(baselineEntrySchema) }).superRefine((file, ctx) => {
  const seen = new Map<string, number>();
  file.baselines.forEach((entry, i) => {
    const key = [entry.site, entry.gateway ?? '*', entry.device ?? '*', entry.field].join('/');
    if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['baselines', i], message: `same site/gateway/device/field as baselines.${seen.get(key)} (${key})` });
    seen.set(key, i);
  });
});

export interface Baselines {
  /** Where they came from (null: none configured). */
  file: string | null;
  entries: BaselineEntry[];
}

export const NO_BASELINES: Baselines = { file: null, entries: [] };

export function parseBaselines(data: unknown, file: string): Baselines {
  const parsed = baselinesFileSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`ecology baselines file ${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return { file, entries: parsed.data.baselines };
}

/** Reads and checks a baselines file (YAML or JSON); a bad one throws a ConfigError naming the entry. */
export function loadBaselinesFile(file: string): Baselines {
  return parseBaselines(readConfigFile(file), file);
}

/** The most specific baseline for a series' field: site+gateway+device, then site+device, site+gateway, site. */
export function findBaseline(entries: readonly BaselineEntry[], key: { site: string; gateway: string; device: string; field: string }): BaselineEntry | undefined {
  let best: BaselineEntry | undefined;
  let bestScore = -1;
  for (const entry of entries) {
    if (entry.site !== key.site || entry.field !== key.field) continue;
    if (entry.gateway !== undefined && entry.gateway !== key.gateway) continue;
    if (entry.device !== undefined && entry.device !== key.device) continue;
    const score = (entry.device !== undefined ? 2 : 0) + (entry.gateway !== undefined ? 1 : 0);
    if (score > bestScore) {
      best = entry;
      bestScore = score;
    }
  }
  return best;
}
