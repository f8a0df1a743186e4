// A camera as the registry keeps it: where the gateway finds it (fixed ONVIF address), the
// ONVIF user and password (sealed at rest), and the few settings a technician sets per camera.
// The gateway's own file format (gateway/cameras/settings.ts) has more knobs; their defaults apply.
import { z } from 'zod';
import { idSchema } from '../../protocol/index.js';

export const registryCameraSchema = z.strictObject({
  id: idSchema,
  xaddr: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://10.0.0.5/onvif/device_service' }),
  username: z.string().min(1).max(64),
  /** Required for a new camera; left out on an update it keeps the stored one. */
  password: z.string().min(1).max(128).optional(),
  profile: z.union([z.string().min(1).max(64), z.number().int().min(0).max(31)]).optional(),
  snapshotIntervalMs: z.number().int().refine((ms) => ms === 0 || (ms >= 100 && ms <= 86_400_000), 'must be 0 (none) or 100 ms – 24 h').optional(),
  linkedDevices: z.array(idSchema).max(256).optional(),
});

export type RegistryCameraInput = z.infer<typeof registryCameraSchema>;
export type RegistryCamera = RegistryCameraInput & { password: string };
