// Where ingest's alarm rules come from: the rules file (alarms.rulesFile, SB_ALARM_RULES), or
// rules text given in code (tests, demo), or else the defaults below; always compiled with the
// alarm hints of the device profiles, read again at every (re)load so a new profile counts too.
import { defaultProfilesDir, loadProfileLibrary } from '../../gateway/index.js';
import { ConfigError } from '../../lib/config.js';
import { compileRules, loadRules, type CompileResult } from './compile-rules.js';
import type { CompiledRules } from './engine-types.js';

/** Without a rules file: threshold rules from the profiles' hints, and the offline rules. */
export const DEFAULT_RULES_YAML = `version: 1
profileHints: true
rules:
  - id: device-offline
    kind: device-offline
  - id: gateway-offline
    kind: gateway-offline
`;

export interface RulesSource {
  /** A YAML rules file (docs/alarms.md). Wins over rulesText. */
  rulesFile?: string;
  /** Rules as YAML text, when there is no file. */
  rulesText?: string;
  /** Device profiles with alarm hints (default: the bundled device-profiles/). */
  profilesDir?: string;
}

/**
 * A rules file refused as a whole; the message lists every problem, each naming its rule. A
 * ConfigError, so that at start `shaobing ingest` stops with the message alone (no stack).
 */
export class AlarmRulesError extends ConfigError {
  constructor(readonly problems: readonly string[], origin = 'alarm rules') {
    super(`${origin} refused: ${problems.join('; ')}`);
  }
}

/** The loader the alarm service calls at start and at every reload; throws AlarmRulesError. */
export function rulesLoader(source: RulesSource): () => Promise<CompiledRules> {
  return async () => {
    let profiles;
    try {
      profiles = await loadProfileLibrary(source.profilesDir ?? defaultProfilesDir());
    } catch (err) {
      throw new AlarmRulesError([(err as Error).message], 'device profiles for the alarm rules (alarms.profilesDir, SB_ALARM_PROFILES_DIR)');
    }
    let result: CompileResult;
    if (source.rulesFile !== undefined) result = await loadRules(source.rulesFile, profiles);
    else if (source.rulesText !== undefined) result = compileRules(source.rulesText, profiles, '(rules text)');
    else result = compileRules(DEFAULT_RULES_YAML, profiles, '(default rules)');
    if (!result.ok) throw new AlarmRulesError(result.errors, source.rulesFile !== undefined ? 'alarm rules file (alarms.rulesFile, SB_ALARM_RULES)' : 'alarm rules');
    return result.rules;
  };
}
