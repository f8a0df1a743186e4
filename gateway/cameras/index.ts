// The gateway's ONVIF camera service (docs/cameras.md): settings, the service the gateway
// starts, and the pieces the `shaobing cameras` technician commands reuse.
export * from './settings.js';
export * from './camera-service.js';
export type { CameraSink, SnapshotResult, SnapshotRequest, PtzRequest } from './camera-worker.js';
export { CameraError, classifyCameraError, redactUrl, type CameraErrorKind } from './errors.js';
export { OnvifCamera, type CameraConnection, type OnvifCameraOptions } from './onvif-client.js';
export { discoverCameras, probeTarget, type DiscoveredCamera } from './discovery.js';
export { checkSnapshotImage, jpegSize } from './jpeg.js';
