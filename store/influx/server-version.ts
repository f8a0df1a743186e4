// What the server is, from its /ping answer: the version decides the write endpoint
// (1.x before 1.8 has only /write), the authorization scheme and whether init() may
// create the database (InfluxQL CREATE DATABASE exists on 1.x only).

export interface ServerVersion {
  /** As reported in X-Influxdb-Version, e.g. "1.6.7~rc0", "v2.7.4", "3.0.1"; "" if absent. */
  raw: string;
  major: number;
  minor: number;
}

/** Servers that do not say (InfluxDB Cloud) speak the v2 API: treat them as 2.x. */
export function parseServerVersion(header: string | string[] | undefined): ServerVersion {
  const raw = (Array.isArray(header) ? header[0] : header)?.trim() ?? '';
  const match = /^v?(\d+)\.(\d+)/.exec(raw);
  if (!match) return { raw, major: 2, minor: 0 };
  return { raw, major: Number(match[1]), minor: Number(match[2]) };
}

export function hasV2WriteEndpoint(version: ServerVersion): boolean {
  return version.major > 1 || (version.major === 1 && version.minor >= 8);
}

export interface Credentials {
  token?: string;
  username?: string;
  password?: string;
}

/**
 * The Authorization header for every request. 1.x authenticates users with Basic;
 * 2.x/3.x want `Token`, and their v1-compatible endpoints also take Basic with the
 * token as password, so a username without a token still works there.
 */
export function authorizationHeader(credentials: Credentials, version: ServerVersion): string | undefined {
  const basic = (): string =>
    `Basic ${Buffer.from(`${credentials.username ?? ''}:${credentials.password ?? ''}`).toString('base64')}`;
  if (credentials.username !== undefined && (version.major === 1 || credentials.token === undefined)) return basic();
  if (credentials.token !== undefined) return `Token ${credentials.token}`;
  return undefined;
}
