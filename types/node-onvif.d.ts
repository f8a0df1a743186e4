// Types for the parts of node-onvif 0.1.7 (a CommonJS module without types) that Shaobing uses,
// written from node_modules/node-onvif/lib/*.js. The module exports one Onvif instance; its
// `OnvifDevice` constructor is the client of one camera.
declare module 'node-onvif' {
  namespace NodeOnvif {
    interface OnvifDeviceParams {
      /** Device service URL. Use this form: the `address` form rebuilds every URI and mangles some. */
      xaddr: string;
      user?: string;
      pass?: string;
    }

    /** GetDeviceInformationResponse as xml2js renders it (prefixes stripped). */
    interface DeviceInformation {
      Manufacturer: string;
      Model: string;
      FirmwareVersion: string;
      SerialNumber: string;
      HardwareId: string;
    }

    interface Range {
      min: number;
      max: number;
    }

    interface Profile {
      token: string;
      name: string;
      /** Snapshot URL ('' when GetSnapshotUri failed). */
      snapshot: string;
      /** Stream URIs per transport asked in init() ('' when GetStreamUri failed). */
      stream: { udp: string; http: string; rtsp: string };
      video: {
        source: { token: string; name: string; bounds: { width: number; height: number; x: number; y: number } } | null;
        encoder: {
          token: string;
          name: string;
          resolution: { width: number; height: number };
          quality: number;
          framerate: number;
          bitrate: number;
          encoding: string;
        } | null;
      };
      audio: { source: { token: string; name: string } | null; encoder: { token: string; name: string; bitrate: number; samplerate: number; encoding: string } | null };
      ptz: { range: { x: Range; y: Range; z: Range } };
    }

    interface Snapshot {
      headers: Record<string, string | string[] | undefined>;
      body: Buffer;
    }

    interface PtzMoveParams {
      /** Speeds in −1…1; a missing axis is 0. */
      speed: { x?: number; y?: number; z?: number };
      /** Seconds, integer (default 1): the camera stops by itself after it. */
      timeout?: number;
    }

    /** The result of a raw service call: the SOAP text, its xml2js tree, and the Body. */
    interface SoapResult {
      soap: string;
      formatted: string;
      converted: Record<string, unknown>;
      data: Record<string, unknown>;
    }

    interface DeviceService {
      getSystemDateAndTime(): Promise<SoapResult>;
      getCapabilities(): Promise<SoapResult>;
      getDeviceInformation(): Promise<SoapResult>;
      getScopes(): Promise<SoapResult>;
      getServices(params: { IncludeCapability: boolean }): Promise<SoapResult>;
      getTimeDiff(): number;
      setAuth(user: string, pass: string): void;
    }

    interface MediaService {
      getProfiles(): Promise<SoapResult>;
      getStreamUri(params: { ProfileToken: string; Protocol: 'UDP' | 'HTTP' | 'RTSP' }): Promise<SoapResult>;
      getSnapshotUri(params: { ProfileToken: string }): Promise<SoapResult>;
      setAuth(user: string, pass: string): void;
    }

    interface PtzService {
      continuousMove(params: { ProfileToken: string; Velocity: { x: number; y: number; z: number }; Timeout?: number }): Promise<SoapResult>;
      stop(params: { ProfileToken: string; PanTilt?: boolean; Zoom?: boolean }): Promise<SoapResult>;
      getPresets(params: { ProfileToken: string }): Promise<SoapResult>;
      gotoPreset(params: { ProfileToken: string; PresetToken: string; Speed?: { x: number; y: number; z: number } }): Promise<SoapResult>;
      getStatus(params: { ProfileToken: string }): Promise<SoapResult>;
      setAuth(user: string, pass: string): void;
    }

    interface EventsService {
      getEventProperties(): Promise<SoapResult>;
      setAuth(user: string, pass: string): void;
    }

    interface Services {
      device: DeviceService;
      /** Set by init() from GetCapabilities; null until then or when the device lacks it. */
      media: MediaService | null;
      ptz: PtzService | null;
      events: EventsService | null;
      imaging: null;
    }

    class OnvifDevice {
      constructor(params: OnvifDeviceParams);
      readonly xaddr: string;
      readonly address: string;
      readonly services: Services;
      /**
       * GetSystemDateAndTime (learns the clock offset; failures ignored), GetCapabilities,
       * GetDeviceInformation, GetProfiles, GetStreamUri ×3 and GetSnapshotUri per profile.
       * Rejects with `Failed to initialize the device: Error: <status> <text> - <fault reason>`.
       */
      init(): Promise<DeviceInformation>;
      getInformation(): DeviceInformation | null;
      getProfileList(): Profile[];
      getCurrentProfile(): Profile | null;
      /** By index or token; the new current profile, or null if there is none such. */
      changeProfile(indexOrToken: number | string): Profile | null;
      getUdpStreamUrl(): string;
      /** GET of the current profile's snapshot URL: Basic first, then Digest if challenged. */
      fetchSnapshot(): Promise<Snapshot>;
      ptzMove(params: PtzMoveParams): Promise<void>;
      ptzStop(): Promise<SoapResult>;
      setAuth(user: string, pass: string): void;
    }

    interface ProbeMatch {
      urn: string;
      name: string;
      hardware: string;
      location: string;
      types: string[] | '';
      xaddrs: string[];
      scopes: string[];
    }

    /** The module's single instance: WS-Discovery plus the OnvifDevice constructor. */
    interface Onvif {
      OnvifDevice: typeof OnvifDevice;
      /** Sends Probes for 3 device types, 3 times each 150 ms apart, and collects answers for `_DISCOVERY_WAIT` ms. */
      startProbe(): Promise<ProbeMatch[]>;
      stopProbe(): Promise<void>;
      /** Where startProbe sends (default 239.255.255.250 and 3702): tests aim it at loopback. */
      _MULTICAST_ADDRESS: string;
      _PORT: number;
      /** How long startProbe collects answers, ms (default 3000). */
      _DISCOVERY_WAIT: number;
      /** Between two probe datagrams, ms (default 150). */
      _DISCOVERY_INTERVAL: number;
      _DISCOVERY_RETRY_MAX: number;
      /** The probe's socket, created by startProbe() and bound asynchronously; null otherwise. */
      _udp: import('node:dgram').Socket | null;
    }
  }

  const onvif: NodeOnvif.Onvif;
  export = onvif;
}
