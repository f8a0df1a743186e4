// Camera settings of the gateway file (`cameras`, `cameraDiscovery`), validated with zod so a
// typo stops the gateway with a message naming the setting. docs/cameras.md is the reference.
import { z } from 'zod';
import { idSchema, MAX_SNAPSHOT_IMAGE_BYTES } from '../../protocol/index.js';

const MIB = 1024 * 1024;
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
 * How a camera without a fixed address is found by WS-Discovery: by the name or hardware scope
 * it announces (`onvif://www.onvif.org/name/…`), or by its endpoint URN (stable across IP changes).
 */
export const discoverMatchSchema = z
  .strictObject({
    name: z.string().min(1).max(128).optional(),
    hardware: z.string().min(1).max(128).optional(),
    urn: z.string().min(1).max(256).optional(),
  })
  .refine((match) => match.name !== undefined || match.hardware !== undefined || match.urn !== undefined, 'give at least one of name, hardware, urn');

export const cameraSettingsSchema = z
  .strictObject({
    id: idSchema,
    /** The ONVIF device service, e.g. http://10.0.0.5/onvif/device_service. */
    xaddr: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://10.0.0.5/onvif/device_service' }).optional(),
    /** Found by WS-Discovery instead of a fixed xaddr. */
    discover: discoverMatchSchema.optional(),
    /** An ONVIF user on the camera (not necessarily its web admin). */
    username: z.string().min(1).max(64),
    password: z.string().min(1).max(128),
    /** Media profile: its token, or its index in the camera's list; default the first. */
    profile: z.union([z.string().min(1).max(64), z.number().int().min(0).max(31)]).optional(),
    /** Scheduled snapshots; 0 turns them off (alarm and command captures still work). */
    snapshotIntervalMs: z.number().int().refine((ms) => ms === 0 || (ms >= 100 && ms <= DAY_MS), 'must be 0 (none) or 100 ms – 24 h').default(300_000),
    /** Larger images are refused (the backend takes at most MAX_SNAPSHOT_IMAGE_BYTES). */
    maxSnapshotBytes: z.number().int().min(1024).max(MAX_SNAPSHOT_IMAGE_BYTES).default(MIB),
    /** How often the camera is checked with an authenticated ONVIF call. */
    healthIntervalMs: z.number().int().min(100).max(DAY_MS).default(30_000),
    /** Per ONVIF request and per snapshot download. */
    timeoutMs: z.number().int().min(100).max(60_000).default(5000),
    /** Consecutive failed snapshots (while ONVIF answers) before the camera is `snapshot-failing`. */
    snapshotFailuresBeforeAlert: z.number().int().min(1).max(100).default(3),
    /** Sensor devices whose alarms this camera documents (capture commands with `device`). */
    linkedDevices: z.array(idSchema).max(256).default([]),
    /** Subscribe to the camera's motion and tamper events (ONVIF PullPoint). */
    events: z.boolean().default(true),
    /** Take a snapshot (trigger `motion`) when motion starts. */
    snapshotOnMotion: z.boolean().default(false),
  })
  .superRefine((camera, ctx) => {
    if ((camera.xaddr === undefined) === (camera.discover === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['xaddr'], message: 'give exactly one of xaddr (fixed address) and discover (found by WS-Discovery)' });
    }
  });

export const cameraDiscoverySettingsSchema = z.strictObject({
  /** Where probes go: the standard multicast group, or a subnet broadcast address where multicast is blocked. */
  targets: z.array(discoveryTargetSchema).min(1).max(16).default(['239.255.255.250:3702']),
  /** How long each probe waits for answers. */
  timeoutMs: z.number().int().min(200).max(60_000).default(3000),
  /** How often cameras not found (or unreachable at their last address) are looked for again. */
  intervalMs: z.number().int().min(500).max(DAY_MS).default(60_000),
});

export type CameraSettings = z.infer<typeof cameraSettingsSchema>;
export type CameraSettingsInput = z.input<typeof cameraSettingsSchema>;
export type CameraDiscoverySettings = z.infer<typeof cameraDiscoverySettingsSchema>;
export type DiscoverMatch = z.infer<typeof discoverMatchSchema>;

/** Problems across cameras and devices, reported on the `cameras.N.…` setting at fault. */
export function checkCameraList(
  cameras: readonly CameraSettings[],
  deviceIds: readonly string[],
  addIssue: (path: Array<string | number>, message: string) => void,
): void {
  const seen = new Set<string>();
  const devices = new Set(deviceIds);
  cameras.forEach((camera, index) => {
    if (seen.has(camera.id)) addIssue(['cameras', index, 'id'], `duplicate camera id "${camera.id}"`);
    // Cameras and devices share the event/{device} topic: one name must mean one thing.
    if (devices.has(camera.id)) addIssue(['cameras', index, 'id'], `camera id "${camera.id}" is also a device id`);
    seen.add(camera.id);
  });
}
