// What an ONVIF operation handler gets: the request time, the camera's data and state, and the
// request's abort signal (long polls end when the client goes). Handlers return the Body XML of
// the answer or throw a SoapFault.
import type { CameraIdentity, CameraUrls } from '../camera-model.js';
import type { EventBroker } from '../event-broker.js';
import type { PtzModel } from '../ptz-model.js';
import type { XmlNode } from '../../../lib/xml.js';

export interface ServiceContext {
  /** The simulator clock at the request. */
  now: number;
  /** The simulator clock, for answers given after a wait. */
  clock: () => number;
  urls: CameraUrls;
  identity: CameraIdentity;
  ptz: PtzModel;
  events: EventBroker;
  /** The PullPoint id when the request came to a subscription address. */
  subscriptionId: string | undefined;
  signal: AbortSignal;
  /** Caps a PullMessages wait (ONVIF lets the device shorten the client's Timeout). */
  maxPullTimeoutMs: number;
}

export type OperationHandler = (payload: XmlNode, ctx: ServiceContext) => string | Promise<string>;

export interface SoapService {
  name: string;
  operations: Readonly<Record<string, OperationHandler>>;
  /** Operations answered without authentication (ONVIF access class PRE_AUTH). */
  preAuth: ReadonlySet<string>;
}
