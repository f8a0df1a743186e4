// xs:duration and xs:dateTime values of ONVIF requests (PullMessages Timeout, subscription
// termination times, PTZ timeouts). Pure.

const DURATION = /^(-)?P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/**
 * Milliseconds of an xs:duration such as `PT60S`, `PT1M30S`, `PT0.5S`, `P1D`; undefined if the
 * text is not one. Years and months count as 365 and 30 days (only used for lifetimes).
 */
export function parseDuration(value: string): number | undefined {
  const m = DURATION.exec(value.trim());
  if (!m || value.trim() === 'P' || value.trim().endsWith('T')) return undefined;
  const [, negative, years, months, days, hours, minutes, seconds] = m;
  const n = (s: string | undefined) => (s === undefined ? 0 : Number(s));
  const ms = ((((n(years) * 365 + n(months) * 30 + n(days)) * 24 + n(hours)) * 60 + n(minutes)) * 60 + n(seconds)) * 1000;
  return Math.round(negative ? -ms : ms);
}

/**
 * A termination time given either as a duration from now (`PT60S`) or an absolute xs:dateTime,
 * as WS-BaseNotification allows for InitialTerminationTime and Renew. Undefined if neither.
 */
export function parseTerminationTime(value: string, nowMs: number): number | undefined {
  const trimmed = value.trim();
  if (trimmed.startsWith('P') || trimmed.startsWith('-P')) {
    const ms = parseDuration(trimmed);
    return ms === undefined ? undefined : nowMs + ms;
  }
  const absolute = Date.parse(trimmed);
  return Number.isNaN(absolute) ? undefined : absolute;
}

/** xs:dateTime in UTC with seconds precision, as cameras write it (`2026-01-15T21:00:00Z`). */
export function formatDateTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
