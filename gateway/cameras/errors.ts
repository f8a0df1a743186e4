// Sorting camera failures into the three kinds a technician fixes differently: `auth` (the
// ONVIF user or password, or the camera's clock), `unreachable` (power, cable, address, a camera
// too slow to answer), `protocol` (it answers, but not as ONVIF expects). Pure.

export type CameraErrorKind = 'auth' | 'unreachable' | 'protocol';

export class CameraError extends Error {
  override readonly name = 'CameraError';
  constructor(readonly kind: CameraErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Socket-level codes that mean "nothing answered in time at that address". */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EHOSTDOWN', 'ENETDOWN',
  'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET',
]);

// node-onvif folds everything into the message: "Network Error: connect ECONNREFUSED …",
// "400 Bad Request - Sender not Authorized", "Failed to initialize the device: Error: …".
const UNREACHABLE_TEXT = /network error|socket hang up|timed? ?out|ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|EHOSTDOWN|ENOTFOUND|EAI_AGAIN/i;
// ter:NotAuthorized (the subcode) or its reason text "Sender not Authorized"; HTTP 401; and the
// digest failures some cameras report as a plain fault reason.
const AUTH_TEXT = /not ?authori[sz]ed|unauthori[sz]ed|\b401\b|authentication failed|invalid (user ?name|password)|wrong password/i;

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The kind of a failure, looking through `cause` chains (fetch, wrapped node-onvif errors). */
export function classifyCameraError(err: unknown): CameraErrorKind {
  for (let current: unknown = err, depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    if (current instanceof CameraError) return current.kind;
    const code = codeOf(current);
    if (code !== undefined && UNREACHABLE_CODES.has(code)) return 'unreachable';
    if ((current as { name?: unknown }).name === 'TimeoutError' || (current as { name?: unknown }).name === 'AbortError') return 'unreachable';
    const message = current instanceof Error ? current.message : typeof current === 'string' ? current : '';
    // Auth first: "401 Unauthorized - Sender not Authorized" must not read as a network error.
    if (AUTH_TEXT.test(message)) return 'auth';
    if (UNREACHABLE_TEXT.test(message)) return 'unreachable';
    current = (current as { cause?: unknown }).cause;
  }
  return 'protocol';
}

/** A CameraError with the kind decided and a message that says what was being done. */
export function toCameraError(err: unknown, doing: string): CameraError {
  if (err instanceof CameraError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  // fetch and friends say "fetch failed" and keep the reason in `cause`.
  const detail = cause && typeof cause.message === 'string' && cause.message !== message ? `${message} (${cause.message})` : message;
  return new CameraError(classifyCameraError(err), `${doing}: ${detail.replace(/^Error: /, '')}`, { cause: err });
}

/** URLs in messages and the status without user:password@ and without password-like query values. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username || parsed.password) {
      parsed.username = '';
      parsed.password = '';
    }
    for (const key of [...parsed.searchParams.keys()]) {
      if (/^(pass(word)?|pwd|psw|token|auth|key|secret)$/i.test(key)) parsed.searchParams.set(key, 'redacted');
    }
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^/@\s]*@/, '//');
  }
}
