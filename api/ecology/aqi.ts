// Air quality index arithmetic of HJ 633: a pollutant's sub-index (IAQI) by linear
// interpolation in its breakpoint column, rounded up; the AQI as the largest IAQI; the
// primary and exceedance pollutants; the level, category and colour. Pure: the tables
// come in as data (standards.ts), the concentrations from the caller.
import type { AqiLevel, BreakpointColumn } from './standards.js';

/** IAQI of one concentration, or "use another column" when a footnote of the standard says so. */
export type IaqiOutcome =
  | { kind: 'iaqi'; iaqi: number; /** Above the top breakpoint: reported as the top of the scale. */ beyondScale: boolean }
  | { kind: 'substitute'; use: string; footnote: string };

// Interpolation in floating point can land a hair above an integer (50.00000000000001):
// that must not round up to the next integer. Concentrations carry at most 3 decimals, so
// a genuine excess is far larger than this.
const CEIL_TOLERANCE = 1e-9;

/** Rounds up to an integer, as HJ 633 asks of every IAQI (DOMAIN.md §1: 131.25 → 132). */
export function ceilIaqi(value: number): number {
  return Math.ceil(value - CEIL_TOLERANCE);
}

/**
 * IAQI_P = (IAQI_Hi − IAQI_Lo) / (BP_Hi − BP_Lo) · (C_P − BP_Lo) + IAQI_Lo, rounded up.
 * A concentration exactly on a breakpoint gets that breakpoint's IAQI (both segments agree).
 */
export function iaqi(scale: readonly number[], column: Pick<BreakpointColumn, 'breakpoints' | 'above'>, concentration: number): IaqiOutcome {
  const bps = column.breakpoints;
  if (!Number.isFinite(concentration)) throw new RangeError(`concentration ${concentration} is not a number`);
  // A zero drift below 0 is no pollution, not an error of the formula.
  if (concentration <= 0) return { kind: 'iaqi', iaqi: 0, beyondScale: false };
  if (column.above && concentration > column.above.concentration) {
    return { kind: 'substitute', use: column.above.use, footnote: column.above.footnote };
  }
  let top = bps.length - 1;
  while (top > 0 && bps[top] === null) top--;
  if (concentration > bps[top]!) return { kind: 'iaqi', iaqi: scale[top]!, beyondScale: true };
  let i = 0;
  while (concentration > bps[i + 1]!) i++;
  const bpLo = bps[i]!;
  const bpHi = bps[i + 1]!;
  const lo = scale[i]!;
  const hi = scale[i + 1]!;
  // Multiply before dividing: on a breakpoint the product is exact, so no stray 1e-14.
  return { kind: 'iaqi', iaqi: ceilIaqi(lo + ((hi - lo) * (concentration - bpLo)) / (bpHi - bpLo)), beyondScale: false };
}

/** The level (1–6) holding an AQI; above the last level's top it is the last level. */
export function levelOf(levels: readonly AqiLevel[], aqi: number): AqiLevel {
  return levels.find((level) => aqi <= level.maxAqi) ?? levels.at(-1)!;
}

export interface RatedIndicator {
  id: string;
  iaqi: number | null;
  inAqi: boolean;
}

export interface AqiVerdict {
  aqi: number | null;
  /** Indicators with the highest IAQI, only when the AQI is above 50 (HJ 633); ties all count. */
  primary: string[];
  /** Indicators with an IAQI above 100 (超标污染物). */
  exceedance: string[];
}

/** AQI = max IAQI over the indicators that are part of the AQI and have an IAQI. */
export function combine(indicators: readonly RatedIndicator[], primaryAbove = 50, exceedanceAbove = 100): AqiVerdict {
  const rated = indicators.filter((i): i is RatedIndicator & { iaqi: number } => i.inAqi && i.iaqi !== null);
  if (rated.length === 0) return { aqi: null, primary: [], exceedance: [] };
  const aqi = Math.max(...rated.map((i) => i.iaqi));
  return {
    aqi,
    primary: aqi > primaryAbove ? rated.filter((i) => i.iaqi === aqi).map((i) => i.id) : [],
    exceedance: rated.filter((i) => i.iaqi > exceedanceAbove).map((i) => i.id),
  };
}

/**
 * Rounds a concentration as the standard's data rules ask (GB/T 8170: round half to even),
 * so 35.5 → 36 but 34.5 → 34, and 0.25 → 0.2 at one decimal.
 */
export function roundConcentration(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  const scaled = value * factor;
  const floor = Math.floor(scaled);
  const fraction = scaled - floor;
  let rounded: number;
  if (Math.abs(fraction - 0.5) < 1e-9) rounded = floor % 2 === 0 ? floor : floor + 1;
  else rounded = Math.round(scaled);
  return rounded / factor;
}

/** "#FF7E00" from [255, 126, 0]. */
export function hexColour(rgb: readonly [number, number, number]): string {
  return `#${rgb.map((c) => c.toString(16).padStart(2, '0').toUpperCase()).join('')}`;
}
