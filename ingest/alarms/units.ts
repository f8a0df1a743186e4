// Unit conversion for alarm rules: a rule may state its levels in the unit staff use (water
// levels in metres) while the device reports another (millimetres). Only linear conversions
// between units of the same quantity; anything else is refused when the rules are compiled.

/** Unit → [quantity, factor to the quantity's base unit]. */
const LINEAR_UNITS: Record<string, [string, number]> = {
  mm: ['length', 0.001], cm: ['length', 0.01], m: ['length', 1],
  'mm/h': ['rain rate', 1],
  'µSv/h': ['dose rate', 1], 'nSv/h': ['dose rate', 0.001],
  µSv: ['dose', 1],
  ppm: ['volume fraction', 1], ppb: ['volume fraction', 0.001], '%VOL': ['volume fraction', 10_000],
  'µg/m³': ['mass concentration', 1], 'mg/m³': ['mass concentration', 1000],
  hPa: ['pressure', 100], kPa: ['pressure', 1000], MPa: ['pressure', 1_000_000],
  W: ['power', 1], kW: ['power', 1000], var: ['reactive power', 1], kvar: ['reactive power', 1000],
  VA: ['apparent power', 1], kVA: ['apparent power', 1000], Wh: ['energy', 1], kWh: ['energy', 1000],
  'µS/cm': ['conductivity', 1], 'mS/cm': ['conductivity', 1000],
  s: ['duration', 1], h: ['duration', 3600],
  'm³/h': ['flow', 1], 'L/s': ['flow', 3.6],
};

/**
 * The factor turning a reading in `from` into `to` (reading × factor), or an error text.
 * Same unit (or no unit asked for) is factor 1.
 */
export function unitFactor(from: string | undefined, to: string | undefined): number | string {
  if (to === undefined || from === to) return 1;
  if (from === undefined) return `the point declares no unit, so it cannot be converted to ${to}: leave "unit" out`;
  const a = LINEAR_UNITS[from];
  const b = LINEAR_UNITS[to];
  if (!a || !b || a[0] !== b[0]) return `cannot convert the point's unit ${from} to ${to}`;
  return a[1] / b[1];
}
