// SOAP 1.2 envelopes and faults as ONVIF devices write them (ONVIF Core §5.11: sender faults go
// out with HTTP 400, receiver faults with HTTP 500), and the parse of an incoming request into
// its header, operation name and payload.
import { child, elementNames, escapeXml, parseXml, path, XmlSyntaxError, type XmlElement, type XmlNode } from '../../lib/xml.js';

/** Namespace prefixes used in every envelope we write. */
export const NS = {
  env: 'http://www.w3.org/2003/05/soap-envelope',
  ter: 'http://www.onvif.org/ver10/error',
  tt: 'http://www.onvif.org/ver10/schema',
  tds: 'http://www.onvif.org/ver10/device/wsdl',
  trt: 'http://www.onvif.org/ver10/media/wsdl',
  tptz: 'http://www.onvif.org/ver20/ptz/wsdl',
  tev: 'http://www.onvif.org/ver10/events/wsdl',
  wsnt: 'http://docs.oasis-open.org/wsn/b-2',
  wstop: 'http://docs.oasis-open.org/wsn/t-1',
  wsa: 'http://www.w3.org/2005/08/addressing',
  'wsrf-rw': 'http://docs.oasis-open.org/wsrf/rw-2',
  tns1: 'http://www.onvif.org/ver10/topics',
  xs: 'http://www.w3.org/2001/XMLSchema',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  wsu: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
} as const;

export const SOAP_CONTENT_TYPE = 'application/soap+xml; charset=utf-8';

const NAMESPACE_ATTRIBUTES = Object.entries(NS).map(([prefix, uri]) => `xmlns:${prefix}="${uri}"`).join(' ');

export function soapEnvelope(bodyXml: string, headerXml = ''): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<env:Envelope ${NAMESPACE_ATTRIBUTES}>${headerXml ? `<env:Header>${headerXml}</env:Header>` : '<env:Header/>'}<env:Body>${bodyXml}</env:Body></env:Envelope>`;
}

/** A SOAP fault a handler throws; the server turns it into a fault envelope and status code. */
export class SoapFault extends Error {
  override readonly name = 'SoapFault';
  constructor(
    readonly code: 'Sender' | 'Receiver',
    /** ONVIF subcodes, outermost first, e.g. ['ter:InvalidArgVal', 'ter:NoProfile']. */
    readonly subcodes: string[],
    readonly reason: string,
  ) {
    super(`${code} ${subcodes.join(' ')}: ${reason}`);
  }

  get httpStatus(): number {
    return this.code === 'Sender' ? 400 : 500;
  }
}

/** The faults ONVIF Core §5.11.2 names, with its reason texts. */
export const faults = {
  notAuthorized: () => new SoapFault('Sender', ['ter:NotAuthorized'], 'Sender not Authorized'),
  wellFormed: (detail: string) => new SoapFault('Sender', ['ter:WellFormed'], `Well-formed Error: ${detail}`),
  actionNotSupported: (operation: string) => new SoapFault('Receiver', ['ter:ActionNotSupported'], `Optional Action Not Implemented: ${operation}`),
  invalidArg: (subcode: string, reason: string) => new SoapFault('Sender', ['ter:InvalidArgVal', subcode], reason),
  missingArg: (name: string) => new SoapFault('Sender', ['ter:InvalidArgs', 'ter:MissingAttr'], `Missing argument: ${name}`),
  action: (subcode: string, reason: string) => new SoapFault('Receiver', ['ter:Action', subcode], reason),
  /** WS-ResourceFramework's fault for a subscription that does not (or no longer) exist. */
  resourceUnknown: (reason: string) => new SoapFault('Sender', ['wsrf-rw:ResourceUnknownFault'], reason),
};

export function soapFaultEnvelope(fault: SoapFault): string {
  // Nest the subcodes: <Subcode><Value>a</Value><Subcode><Value>b</Value></Subcode></Subcode>.
  const subcodes = fault.subcodes.reduceRight((inner, value) => `<env:Subcode><env:Value>${escapeXml(value)}</env:Value>${inner}</env:Subcode>`, '');
  return soapEnvelope(
    `<env:Fault><env:Code><env:Value>env:${fault.code}</env:Value>${subcodes}</env:Code>` +
      `<env:Reason><env:Text xml:lang="en">${escapeXml(fault.reason)}</env:Text></env:Reason></env:Fault>`,
  );
}

export interface SoapRequest {
  header: XmlNode | undefined;
  /** Local name of the Body's first element, e.g. `GetProfiles`. */
  operation: string;
  payload: XmlNode;
}

/** Parses a request envelope. Throws the `ter:WellFormed` SoapFault on anything that is not one. */
export function parseSoapRequest(xml: string): SoapRequest {
  let document: XmlElement;
  try {
    document = parseXml(xml);
  } catch (err) {
    if (err instanceof XmlSyntaxError) throw faults.wellFormed(err.message);
    throw err;
  }
  const envelope = child(document, 'Envelope');
  if (envelope === undefined) throw faults.wellFormed('the root element is not a SOAP Envelope');
  const body = child(envelope, 'Body');
  const [operation] = elementNames(body);
  if (body === undefined || operation === undefined) throw faults.wellFormed('the SOAP Body holds no operation');
  return { header: child(envelope, 'Header'), operation, payload: path(body, operation) ?? '' };
}
