// The gateway's public surface: start it, load its configuration and device profiles.
export { startGateway, OUTBOX_FILE, OUTBOX_RESERVE_FILE, type Gateway, type GatewayOptions, type GatewayStats } from './gateway.js';
export { gatewaySettingsSchema, loadGatewaySettings, parseGatewaySettings, GatewayConfigError, type GatewaySettings, type GatewaySettingsInput } from './config.js';
export { loadProfile, loadProfileLibrary, parseProfile, defaultProfilesDir, findPackageRoot, ProfileError } from './profile.js';
export type { DeviceProfile, DeviceProfileInput, ProfilePoint, Simulation } from './profile-schema.js';
export type { Clock } from './device-poller.js';
export type { CameraSettings, CameraSettingsInput, CameraDiscoverySettings } from './cameras/settings.js';
