// Mapping the client library's v2 write request onto InfluxDB 1.x's /write endpoint:
// InfluxDB before 1.8 has no /api/v2/write. Precision names differ too, and 1.6
// silently reads the v2 name `us` as nanoseconds, so it is renamed, never passed on.

const V1_PRECISION: Readonly<Record<string, string>> = { ns: 'n', us: 'u', ms: 'ms', s: 's' };

/**
 * `/api/v2/write?org=o&bucket=db%2Frp&precision=ms` → `/write?db=db&rp=rp&precision=ms`.
 * Any other path is returned unchanged. Throws on a write it cannot map faithfully.
 */
export function mapWritePathToV1(path: string): string {
  const queryStart = path.indexOf('?');
  const pathname = queryStart < 0 ? path : path.slice(0, queryStart);
  if (pathname !== '/api/v2/write') return path;
  const params = new URLSearchParams(queryStart < 0 ? '' : path.slice(queryStart + 1));
  const bucket = params.get('bucket') ?? '';
  // Like InfluxDB 1.8's own v2 endpoint: the first "/" separates database and retention policy.
  const slash = bucket.indexOf('/');
  const db = slash < 0 ? bucket : bucket.slice(0, slash);
  const rp = slash < 0 ? '' : bucket.slice(slash + 1);
  if (!db) throw new Error('InfluxDB 1.x write: the bucket names no database');
  const out = new URLSearchParams({ db });
  if (rp) out.set('rp', rp);
  const precision = params.get('precision');
  if (precision !== null) {
    const mapped = V1_PRECISION[precision];
    if (!mapped) throw new Error(`InfluxDB 1.x write: unknown precision "${precision}"`);
    out.set('precision', mapped);
  }
  const consistency = params.get('consistency');
  if (consistency !== null) out.set('consistency', consistency);
  return `/write?${out.toString()}`;
}
