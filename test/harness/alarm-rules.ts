// The alarm rules file of the system tests: a threshold rule on the radar level gauge
// (hlk-ld8001h, in metres) with the river's own level names, and nothing else unless asked:
// no rules from profile hints and no flap detection, so each crossing raises exactly one alarm.

/** `moreRules`: further entries of the `rules:` list, as YAML indented like the first. */
export function waterLevelRules(high: number, highHigh: number, moreRules = ''): string {
  return `version: 1
profileHints: false
flap: false
rules:
  - id: water-level
    kind: threshold
    profile: hlk-ld8001h
    field: water_level
    unit: m
    high: ${high}
    highHigh: ${highHigh}
    labels: { high: warning level, highHigh: guarantee level }
${moreRules}`;
}
