// A camera as the registry keeps it: the entry the gateway runs (protocol `cameraConfigSchema`,
// the same fields as the gateway file's `cameras`: a fixed `xaddr` or `discover`, the ONVIF user
// and password, schedule, links...), stored as given so that unset settings keep following the
// protocol's defaults. The password is sealed at rest (secret-box.ts) and may be left out of an
// update to keep the stored one.
import { cameraConfigSchema, describeIssues, type CameraConfigInput } from '../../protocol/index.js';

export type RegistryCamera = CameraConfigInput;
export type RegistryCameraInput = Omit<CameraConfigInput, 'password'> & { password?: string };

/** Stands in for a password left out of an update, so the protocol schema can judge the rest. */
const KEPT_PASSWORD = 'kept';

/** Checks a camera PUT body with the schema the gateway will apply; the message names the field. */
export function parseRegistryCamera(body: unknown): { ok: true; camera: RegistryCameraInput } | { ok: false; reason: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, reason: '(root): a JSON object expected' };
  const input = body as Record<string, unknown>;
  const parsed = cameraConfigSchema.safeParse(input.password === undefined ? { ...input, password: KEPT_PASSWORD } : input);
  if (!parsed.success) return { ok: false, reason: describeIssues(parsed.error) };
  // Valid and strict (no unknown keys): keep the caller's form, without the filled-in defaults.
  return { ok: true, camera: input as RegistryCameraInput };
}
