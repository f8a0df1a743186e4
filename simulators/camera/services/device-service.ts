// Device management service (/onvif/device_service): clock, capabilities, service list, identity,
// scopes. GetSystemDateAndTime is the only unauthenticated call: ONVIF Core lists a few more
// PRE_AUTH operations (GetCapabilities, GetServices), but Hikvision/Dahua firmware of the kind
// deployed in Sharp Eyes projects demands credentials for them, and the stricter behaviour is the
// one a gateway must cope with.
import { faults } from '../soap.js';
import { children, escapeXml, text, type XmlNode } from '../../../lib/xml.js';
import type { ServiceContext, SoapService } from './context.js';

function dateTimeXml(ms: number): string {
  const d = new Date(ms);
  return (
    `<tt:Time><tt:Hour>${d.getUTCHours()}</tt:Hour><tt:Minute>${d.getUTCMinutes()}</tt:Minute><tt:Second>${d.getUTCSeconds()}</tt:Second></tt:Time>` +
    `<tt:Date><tt:Year>${d.getUTCFullYear()}</tt:Year><tt:Month>${d.getUTCMonth() + 1}</tt:Month><tt:Day>${d.getUTCDate()}</tt:Day></tt:Date>`
  );
}

function getSystemDateAndTime(_payload: unknown, { now }: ServiceContext): string {
  return (
    '<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>' +
    '<tt:DateTimeType>NTP</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>' +
    // China Standard Time, POSIX form: Tongjiang is UTC+8 with no daylight saving.
    '<tt:TimeZone><tt:TZ>CST-8:00:00</tt:TZ></tt:TimeZone>' +
    `<tt:UTCDateTime>${dateTimeXml(now)}</tt:UTCDateTime>` +
    `<tt:LocalDateTime>${dateTimeXml(now + 8 * 3600_000)}</tt:LocalDateTime>` +
    '</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>'
  );
}

const CATEGORIES = ['All', 'Device', 'Events', 'Media', 'PTZ'] as const;

function getCapabilities(payload: XmlNode, { urls }: ServiceContext): string {
  const asked = children(payload, 'Category').map(text).filter((c): c is string => !!c);
  const categories = asked.length === 0 ? ['All'] : asked;
  for (const c of categories) {
    if (!(CATEGORIES as readonly string[]).includes(c)) throw faults.action('ter:NoSuchService', `No ${c} service on this device`);
  }
  const want = (c: string) => categories.includes('All') || categories.includes(c);
  let xml = '<tds:GetCapabilitiesResponse><tds:Capabilities>';
  if (want('Device')) {
    xml +=
      `<tt:Device><tt:XAddr>${urls.device}</tt:XAddr>` +
      '<tt:Network><tt:IPFilter>false</tt:IPFilter><tt:ZeroConfiguration>false</tt:ZeroConfiguration><tt:IPVersion6>false</tt:IPVersion6><tt:DynDNS>false</tt:DynDNS></tt:Network>' +
      '<tt:System><tt:DiscoveryResolve>false</tt:DiscoveryResolve><tt:DiscoveryBye>true</tt:DiscoveryBye><tt:RemoteDiscovery>false</tt:RemoteDiscovery><tt:SystemBackup>false</tt:SystemBackup><tt:SystemLogging>false</tt:SystemLogging><tt:FirmwareUpgrade>false</tt:FirmwareUpgrade>' +
      '<tt:SupportedVersions><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tt:SupportedVersions></tt:System>' +
      '<tt:Security><tt:TLS1.1>false</tt:TLS1.1><tt:TLS1.2>false</tt:TLS1.2><tt:OnboardKeyGeneration>false</tt:OnboardKeyGeneration><tt:AccessPolicyConfig>false</tt:AccessPolicyConfig><tt:X.509Token>false</tt:X.509Token><tt:SAMLToken>false</tt:SAMLToken><tt:KerberosToken>false</tt:KerberosToken><tt:RELToken>false</tt:RELToken></tt:Security>' +
      '</tt:Device>';
  }
  if (want('Events')) {
    xml += `<tt:Events><tt:XAddr>${urls.events}</tt:XAddr><tt:WSSubscriptionPolicySupport>false</tt:WSSubscriptionPolicySupport><tt:WSPullPointSupport>true</tt:WSPullPointSupport><tt:WSPausableSubscriptionManagerInterfaceSupport>false</tt:WSPausableSubscriptionManagerInterfaceSupport></tt:Events>`;
  }
  if (want('Media')) {
    xml += `<tt:Media><tt:XAddr>${urls.media}</tt:XAddr><tt:StreamingCapabilities><tt:RTPMulticast>false</tt:RTPMulticast><tt:RTP_TCP>true</tt:RTP_TCP><tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP></tt:StreamingCapabilities></tt:Media>`;
  }
  if (want('PTZ')) xml += `<tt:PTZ><tt:XAddr>${urls.ptz}</tt:XAddr></tt:PTZ>`;
  return `${xml}</tds:Capabilities></tds:GetCapabilitiesResponse>`;
}

function getServices(_payload: XmlNode, { urls }: ServiceContext): string {
  const service = (ns: string, xaddr: string, major: number, minor: number) =>
    `<tds:Service><tds:Namespace>${ns}</tds:Namespace><tds:XAddr>${xaddr}</tds:XAddr><tds:Version><tt:Major>${major}</tt:Major><tt:Minor>${minor}</tt:Minor></tds:Version></tds:Service>`;
  return (
    '<tds:GetServicesResponse>' +
    service('http://www.onvif.org/ver10/device/wsdl', urls.device, 2, 60) +
    service('http://www.onvif.org/ver10/media/wsdl', urls.media, 2, 60) +
    service('http://www.onvif.org/ver20/ptz/wsdl', urls.ptz, 2, 60) +
    service('http://www.onvif.org/ver10/events/wsdl', urls.events, 2, 60) +
    '</tds:GetServicesResponse>'
  );
}

function getDeviceInformation(_payload: unknown, { identity }: ServiceContext): string {
  return (
    '<tds:GetDeviceInformationResponse>' +
    `<tds:Manufacturer>${escapeXml(identity.manufacturer)}</tds:Manufacturer>` +
    `<tds:Model>${escapeXml(identity.model)}</tds:Model>` +
    `<tds:FirmwareVersion>${escapeXml(identity.firmware)}</tds:FirmwareVersion>` +
    `<tds:SerialNumber>${escapeXml(identity.serial)}</tds:SerialNumber>` +
    `<tds:HardwareId>${escapeXml(identity.hardwareId)}</tds:HardwareId>` +
    '</tds:GetDeviceInformationResponse>'
  );
}

/** The scopes a device advertises (GetScopes and WS-Discovery); values are URI-encoded. */
export function deviceScopes(identity: { name: string; model: string; location: string }): string[] {
  return [
    'onvif://www.onvif.org/type/video_encoder',
    'onvif://www.onvif.org/type/ptz',
    'onvif://www.onvif.org/Profile/Streaming',
    `onvif://www.onvif.org/name/${encodeURIComponent(identity.name)}`,
    `onvif://www.onvif.org/hardware/${encodeURIComponent(identity.model)}`,
    `onvif://www.onvif.org/location/${identity.location.split('/').map(encodeURIComponent).join('/')}`,
  ];
}

function getScopes(_payload: unknown, { identity }: ServiceContext): string {
  const scopes = deviceScopes(identity);
  return `<tds:GetScopesResponse>${scopes.map((s, i) => `<tds:Scopes><tt:ScopeDef>${i < 3 ? 'Fixed' : 'Configurable'}</tt:ScopeDef><tt:ScopeItem>${escapeXml(s)}</tt:ScopeItem></tds:Scopes>`).join('')}</tds:GetScopesResponse>`;
}

function getHostname(_payload: unknown, { identity }: ServiceContext): string {
  const name = identity.name.replace(/[^A-Za-z0-9-]/g, '-').slice(0, 63) || 'camera';
  return `<tds:GetHostnameResponse><tds:HostnameInformation><tt:FromDHCP>false</tt:FromDHCP><tt:Name>${escapeXml(name)}</tt:Name></tds:HostnameInformation></tds:GetHostnameResponse>`;
}

export const deviceService: SoapService = {
  name: 'device',
  operations: { GetSystemDateAndTime: getSystemDateAndTime, GetCapabilities: getCapabilities, GetServices: getServices, GetDeviceInformation: getDeviceInformation, GetScopes: getScopes, GetHostname: getHostname },
  preAuth: new Set(['GetSystemDateAndTime']),
};
