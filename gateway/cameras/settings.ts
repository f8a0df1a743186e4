// Camera settings of the gateway file (`cameras`, `cameraDiscovery`), validated with zod so a
// typo stops the gateway with a message naming the setting. docs/cameras.md is the reference.
import { z } from 'zod';
import { cameraConfigSchema, cameraListIssues, discoverMatchSchema, type CameraConfig, type CameraConfigInput, type DiscoverMatch } from '../../protocol/index.js';

const DAY_MS = 86_400_000;

/** `host:port` of a WS-Discovery target (the multicast group, a broadcast address, or one camera). */
export const discoveryTargetSchema = z
  .string()
  .regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port, e.g. 239.255.255.250:3702')
  .refine((target) => {
    const port = Number(target.slice(target.lastIndexOf(':') + 1));
    return port >= 1 && port <= 65535;
  }, 'the port must be 1–65535');

/**
 * One camera entry. The protocol defines it because a remote config carries the same entries
 * (configSchema `cameras`); the file and the backend must never disagree on a field.
 */
export const cameraSettingsSchema = cameraConfigSchema;
export { discoverMatchSchema };

export const cameraDiscoverySettingsSchema = z.strictObject({
  /** Where probes go: the standard multicast group, or a subnet broadcast address where multicast is blocked. */
  targets: z.array(discoveryTargetSchema).min(1).max(16).default(['239.255.255.250:3702']),
  /** How long each probe waits for answers. */
  timeoutMs: z.number().int().min(200).max(60_000).default(3000),
  /** How often cameras not found (or unreachable at their last address) are looked for again. */
  intervalMs: z.number().int().min(500).max(DAY_MS).default(60_000),
});

export type CameraSettings = CameraConfig;
export type CameraSettingsInput = CameraConfigInput;
export type CameraDiscoverySettings = z.infer<typeof cameraDiscoverySettingsSchema>;
export type { DiscoverMatch };

/**
 * Problems across the file's cameras and devices, reported on the `cameras.N.…` setting at fault.
 * Linked devices are not checked here: the file's cameras may document devices that only a
 * remote config brings. A remote config carrying cameras is checked with them (configSchema).
 */
export function checkCameraList(
  cameras: readonly CameraSettings[],
  deviceIds: readonly string[],
  addIssue: (path: Array<string | number>, message: string) => void,
): void {
  for (const issue of cameraListIssues(cameras, deviceIds, { linkedMustExist: false })) addIssue(issue.path, issue.message);
}
