// A thin SOAP 1.2 client for the few ONVIF calls node-onvif lacks or gets wrong for us: the
// PullPoint event calls (node-onvif has none), and ContinuousMove with a sub-second timeout
// (node-onvif takes whole seconds). Same authentication as node-onvif: WS-UsernameToken with a
// password digest, its `Created` time shifted by the camera's clock offset, so a camera whose
// clock is off still accepts us. Requests are bounded in time and size (http.ts). Faults keep
// their code, subcodes and HTTP status (SoapFaultError) for callers that branch on them.
import { createHash, randomBytes } from 'node:crypto';
import { CameraError, toCameraError } from './errors.js';
import { httpRequest } from './http.js';
import { child, escapeXml, parseXml, path, text, type XmlElement, type XmlNode } from '../../lib/xml.js';

export const SOAP_NS = {
  s: 'http://www.w3.org/2003/05/soap-envelope',
  wsa: 'http://www.w3.org/2005/08/addressing',
  tt: 'http://www.onvif.org/ver10/schema',
  tds: 'http://www.onvif.org/ver10/device/wsdl',
  trt: 'http://www.onvif.org/ver10/media/wsdl',
  tev: 'http://www.onvif.org/ver10/events/wsdl',
  tptz: 'http://www.onvif.org/ver20/ptz/wsdl',
  wsnt: 'http://docs.oasis-open.org/wsn/b-2',
} as const;

const WSSE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
const WSU = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';
const PASSWORD_DIGEST = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest';
const BASE64 = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary';

/** Largest SOAP answer we read (a PullMessages batch of events is a few kB). */
const MAX_SOAP_BYTES = 1024 * 1024;

export interface SoapCredentials {
  username: string;
  password: string;
  /** Camera clock minus ours, ms (from GetSystemDateAndTime). */
  clockOffsetMs: number;
}

/** The WS-Security header: Digest = Base64(SHA-1(nonce + created + password)). */
export function usernameToken(username: string, password: string, created: Date, nonce: Buffer): string {
  const createdText = created.toISOString();
  const digest = createHash('sha1').update(Buffer.concat([nonce, Buffer.from(createdText, 'utf8'), Buffer.from(password, 'utf8')])).digest('base64');
  return `<wsse:Security s:mustUnderstand="1" xmlns:wsse="${WSSE}" xmlns:wsu="${WSU}"><wsse:UsernameToken>` +
    `<wsse:Username>${escapeXml(username)}</wsse:Username>` +
    `<wsse:Password Type="${PASSWORD_DIGEST}">${digest}</wsse:Password>` +
    `<wsse:Nonce EncodingType="${BASE64}">${nonce.toString('base64')}</wsse:Nonce>` +
    `<wsu:Created>${createdText}</wsu:Created></wsse:UsernameToken></wsse:Security>`;
}

export function soapEnvelope(body: string, header: string): string {
  const namespaces = Object.entries(SOAP_NS).map(([prefix, uri]) => `xmlns:${prefix}="${uri}"`).join(' ');
  return `<?xml version="1.0" encoding="UTF-8"?><s:Envelope ${namespaces}><s:Header>${header}</s:Header><s:Body>${body}</s:Body></s:Envelope>`;
}

export interface SoapFault {
  code: string;
  subcodes: string[];
  reason: string;
}

/** A fault's code, subcodes and reason; undefined when the document is no fault. */
export function readFault(document: XmlElement): SoapFault | undefined {
  const fault = path(document, 'Envelope', 'Body', 'Fault');
  if (fault === undefined) return undefined;
  const subcodes: string[] = [];
  for (let sub = path(fault, 'Code', 'Subcode'); sub !== undefined; sub = child(sub, 'Subcode')) {
    const value = text(child(sub, 'Value'));
    if (value) subcodes.push(value);
  }
  // SOAP 1.1 faults (some older cameras): faultcode / faultstring.
  const code = text(path(fault, 'Code', 'Value')) ?? text(child(fault, 'faultcode')) ?? '';
  const reason = text(path(fault, 'Reason', 'Text')) ?? text(child(fault, 'faultstring')) ?? '';
  return { code, subcodes, reason };
}

/** A SOAP fault from the camera, classified (`auth` for ter:NotAuthorized) and with its parts kept. */
export class SoapFaultError extends CameraError implements SoapFault {
  readonly code: string;
  readonly subcodes: string[];
  readonly reason: string;

  constructor(fault: SoapFault, operation: string, readonly httpStatus: number) {
    const auth = fault.subcodes.some((s) => /NotAuthorized/i.test(s)) || /not ?authori[sz]ed/i.test(fault.reason);
    const detail = [fault.code, ...fault.subcodes].filter(Boolean).join(' ');
    super(auth ? 'auth' : 'protocol', `${operation}: SOAP fault ${detail}${fault.reason ? `: ${fault.reason}` : ''}`);
    this.code = fault.code;
    this.subcodes = fault.subcodes;
    this.reason = fault.reason;
  }
}

export interface SoapCallOptions {
  url: string;
  /** Operation name, for errors. */
  operation: string;
  /** WS-Addressing action URI (PullPoint subscriptions need wsa:Action and wsa:To). */
  action?: string;
  body: string;
  /** Without, the request carries no WS-Security token (GetSystemDateAndTime needs none). */
  credentials?: SoapCredentials;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Posts one SOAP request; returns the Body element of the answer or throws a classified CameraError. */
export async function soapCall(options: SoapCallOptions): Promise<XmlNode> {
  const { credentials } = options;
  const addressing = options.action
    ? `<wsa:Action s:mustUnderstand="1">${escapeXml(options.action)}</wsa:Action><wsa:To s:mustUnderstand="1">${escapeXml(options.url)}</wsa:To>`
    : '';
  const token = credentials ? usernameToken(credentials.username, credentials.password, new Date(Date.now() + credentials.clockOffsetMs), randomBytes(16)) : '';
  const envelope = soapEnvelope(options.body, token + addressing);
  let response;
  try {
    response = await httpRequest(options.url, {
      method: 'POST',
      headers: { 'Content-Type': `application/soap+xml; charset=utf-8${options.action ? `; action="${options.action}"` : ''}` },
      body: envelope, timeoutMs: options.timeoutMs, maxBytes: MAX_SOAP_BYTES, what: 'SOAP answer',
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (err) {
    throw toCameraError(err, options.operation);
  }
  let document: XmlElement | undefined;
  try {
    document = parseXml(response.body.toString('utf8'));
  } catch {
    document = undefined;
  }
  const fault = document ? readFault(document) : undefined;
  if (fault) throw new SoapFaultError(fault, options.operation, response.status);
  if (response.status === 401 || response.status === 403) throw new CameraError('auth', `${options.operation}: HTTP ${response.status}`);
  if (response.status !== 200) throw new CameraError('protocol', `${options.operation}: HTTP ${response.status}`);
  const body = document ? path(document, 'Envelope', 'Body') : undefined;
  if (body === undefined) throw new CameraError('protocol', `${options.operation}: the answer is not a SOAP envelope`);
  return body;
}

/**
 * Camera clock minus ours, ms, from GetSystemDateAndTime (unauthenticated: a client needs the
 * offset before its first token). The camera answers in whole seconds; the midpoint of the
 * exchange is taken as our reading.
 */
export async function deviceClockOffsetMs(xaddr: string, options: { timeoutMs: number; signal?: AbortSignal }): Promise<number> {
  const before = Date.now();
  const body = await soapCall({ url: xaddr, operation: 'GetSystemDateAndTime', body: '<tds:GetSystemDateAndTime/>', ...options });
  const utc = path(body, 'GetSystemDateAndTimeResponse', 'SystemDateAndTime', 'UTCDateTime');
  const n = (...names: string[]): number => Number(text(path(utc, ...names)));
  const device = Date.UTC(n('Date', 'Year'), n('Date', 'Month') - 1, n('Date', 'Day'), n('Time', 'Hour'), n('Time', 'Minute'), n('Time', 'Second'));
  if (Number.isNaN(device)) throw new CameraError('protocol', 'GetSystemDateAndTime: no UTCDateTime in the answer');
  return device - Math.round((before + Date.now()) / 2);
}
