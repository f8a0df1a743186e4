// The engineering units a device profile may declare. A closed list, so that dashboards, alarm
// rules and carbon accounting can rely on one spelling per unit ("µg/m³", never "ug/m3").
// Pure data; profile-schema.ts rejects anything else, naming the allowed units.

/** Unit → what it measures (shown to technicians in docs and error messages). */
export const KNOWN_UNITS = {
  // temperature, humidity, pressure
  '°C': 'temperature',
  '%RH': 'relative humidity',
  hPa: 'air pressure',
  kPa: 'pressure',
  MPa: 'pressure',
  // concentrations
  'µg/m³': 'particulate or gas mass concentration',
  'mg/m³': 'gas mass concentration',
  ppm: 'gas volume fraction (parts per million)',
  ppb: 'gas volume fraction (parts per billion)',
  '%LEL': 'combustible gas, percent of the lower explosive limit',
  '%VOL': 'gas volume fraction in percent',
  'mg/L': 'dissolved substance in water (e.g. dissolved oxygen)',
  'mg/kg': 'soil nutrient content (N, P, K)',
  NTU: 'turbidity',
  pH: 'acidity (dimensionless pH value)',
  'µS/cm': 'electrical conductivity',
  'mS/cm': 'electrical conductivity',
  mV: 'electrode potential (ORP)',
  // length, level, flow, weather
  mm: 'length, water level, rainfall',
  cm: 'length, water level',
  m: 'length, water level',
  'mm/h': 'rainfall intensity',
  'm/s': 'speed (wind, water)',
  '°': 'angle, direction (0 = north, clockwise)',
  'm³/h': 'volume flow',
  'L/s': 'volume flow',
  'm³': 'volume (totalised flow)',
  'W/m²': 'irradiance',
  lx: 'illuminance',
  // radiation
  'µSv/h': 'ambient dose-equivalent rate',
  'nSv/h': 'ambient dose-equivalent rate',
  µSv: 'accumulated dose',
  // electricity
  V: 'voltage',
  A: 'current',
  W: 'active power',
  kW: 'active power',
  var: 'reactive power',
  kvar: 'reactive power',
  VA: 'apparent power',
  kVA: 'apparent power',
  Wh: 'active energy',
  kWh: 'active energy',
  kvarh: 'reactive energy',
  Hz: 'frequency',
  // generic
  '%': 'percentage (e.g. soil moisture by volume, battery)',
  s: 'duration',
  h: 'duration',
  count: 'a dimensionless count (pulses, events)',
} as const satisfies Record<string, string>;

export type Unit = keyof typeof KNOWN_UNITS;

export function isKnownUnit(unit: string): unit is Unit {
  return Object.hasOwn(KNOWN_UNITS, unit);
}

/**
 * ASCII and look-alike spellings people type for a known unit. Only used to suggest the right
 * spelling in an error; they are never accepted, so stored data keeps one spelling per unit.
 */
const SPELLINGS: Record<string, Unit> = {
  c: '°C',
  degc: '°C',
  '℃': '°C',
  'deg c': '°C',
  rh: '%RH',
  '%rh': '%RH',
  'ug/m3': 'µg/m³',
  'μg/m³': 'µg/m³', // Greek mu (U+03BC) instead of the micro sign (U+00B5)
  'mg/m3': 'mg/m³',
  'us/cm': 'µS/cm',
  'μs/cm': 'µS/cm',
  'usv/h': 'µSv/h',
  'μsv/h': 'µSv/h',
  '%lel': '%LEL',
  lel: '%LEL',
  'm3/h': 'm³/h',
  m3: 'm³',
  'w/m2': 'W/m²',
  deg: '°',
  degree: '°',
  degrees: '°',
  kwh: 'kWh',
  kvarh: 'kvarh',
  ph: 'pH',
};

/** The known unit someone probably meant by `unit`, if any. */
export function suggestUnit(unit: string): Unit | undefined {
  const key = unit.trim().toLowerCase();
  const spelled = SPELLINGS[key];
  if (spelled) return spelled;
  return (Object.keys(KNOWN_UNITS) as Unit[]).find((known) => known.toLowerCase() === key);
}
