// Wording of alarm messages for emergency staff: numbers with a sensible precision, times in
// local wall-clock time (Tongjiang is UTC+8 all year), durations in minutes or hours.

/** `decimals` when the rule sets it; else 2 decimals below 10, 1 below 100, whole numbers above (small values: 3 significant digits). */
export function formatNumber(value: number, decimals?: number): string {
  if (decimals !== undefined) return value.toFixed(decimals);
  const abs = Math.abs(value);
  if (abs !== 0 && abs < 1) return String(Number(value.toPrecision(3)));
  const d = abs < 10 ? 2 : abs < 100 ? 1 : 0;
  return String(Number(value.toFixed(d)));
}

export function withUnit(value: number, unit: string | undefined, decimals?: number): string {
  const text = formatNumber(value, decimals);
  return unit ? `${text} ${unit}` : text;
}

/** `2026-11-27 18:42` in the given offset from UTC (minutes). */
export function formatTime(ts: number, utcOffsetMinutes: number): string {
  const iso = new Date(ts + utcOffsetMinutes * 60_000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

/** `45 s`, `12 min`, `3 h`, `1.5 h`. */
export function formatDuration(ms: number): string {
  const s = ms / 1000;
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${Number((s / 3600).toFixed(1))} h`;
}

/** `water_level` → `Water level`. */
export function humanize(field: string): string {
  const words = field.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}
