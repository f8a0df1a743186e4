// The ONVIF camera simulator's public surface: the simulator, its faults and events, WS-Discovery
// (responder, and a loopback probe for tests), and the pure pieces (scene) for tests. Clients of
// the simulator use the gateway's ONVIF client (gateway/cameras/soap.ts, pullpoint.ts).
export { startCameraSimulator, type CameraSimulator, type CameraSimulatorOptions, type CameraRequestCounters } from './server.js';
export { parseCameraFault, describeCameraFault, CAMERA_FAULT_SYNTAX, type CameraFault } from './faults.js';
export { EVENT_TOPICS, type CameraEventKind, type NotificationMessage } from './event-broker.js';
export { MEDIA_PROFILES, PTZ_PRESETS, PATHS, type CameraIdentity, type MediaProfile, type PtzPreset } from './camera-model.js';
export type { PtzSnapshot, PtzVector } from './ptz-model.js';
export {
  startDiscoveryResponder,
  probeXml,
  parseProbe,
  WS_DISCOVERY_PORT,
  WS_DISCOVERY_MULTICAST_ADDRESS,
  LOOPBACK_BROADCAST_ADDRESS,
  type DiscoveryMode,
  type DiscoveryOptions,
} from './discovery.js';
export { renderScene, renderSnapshot, osdTimestamp } from './scene.js';
export { probeCameras, parseProbeMatches, type ProbeMatch } from './discovery.js';
export { probeLoopbackWithNodeOnvif } from './node-onvif-probe.js';
