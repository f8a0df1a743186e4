// Media service (/onvif/media_service, ONVIF Media ver10): the two H.264 profiles with their
// video source, encoder and PTZ configurations, their RTSP URIs and the snapshot URI. There is no
// RTSP server behind the URIs: the gateway only hands them to viewers.
import { MEDIA_PROFILES, PTZ_CONFIG_TOKEN, PTZ_NODE_TOKEN, VIDEO_SOURCE_CONFIG_TOKEN, VIDEO_SOURCE_TOKEN, type MediaProfile } from '../camera-model.js';
import { faults } from '../soap.js';
import { escapeXml, path, text, type XmlNode } from '../../../lib/xml.js';
import type { ServiceContext, SoapService } from './context.js';

const GENERIC_PAN_TILT_POSITION = 'http://www.onvif.org/ver10/tptz/PanTiltSpaces/PositionGenericSpace';
const GENERIC_ZOOM_POSITION = 'http://www.onvif.org/ver10/tptz/ZoomSpaces/PositionGenericSpace';
const GENERIC_PAN_TILT_VELOCITY = 'http://www.onvif.org/ver10/tptz/PanTiltSpaces/VelocityGenericSpace';
const GENERIC_ZOOM_VELOCITY = 'http://www.onvif.org/ver10/tptz/ZoomSpaces/VelocityGenericSpace';

const range = (min: number, max: number) => `<tt:Min>${min}</tt:Min><tt:Max>${max}</tt:Max>`;

export function ptzConfigurationXml(element: string): string {
  return (
    `<${element} token="${PTZ_CONFIG_TOKEN}"><tt:Name>PTZ</tt:Name><tt:UseCount>${MEDIA_PROFILES.length}</tt:UseCount><tt:NodeToken>${PTZ_NODE_TOKEN}</tt:NodeToken>` +
    `<tt:DefaultAbsolutePantTiltPositionSpace>${GENERIC_PAN_TILT_POSITION}</tt:DefaultAbsolutePantTiltPositionSpace>` +
    `<tt:DefaultAbsoluteZoomPositionSpace>${GENERIC_ZOOM_POSITION}</tt:DefaultAbsoluteZoomPositionSpace>` +
    `<tt:DefaultContinuousPanTiltVelocitySpace>${GENERIC_PAN_TILT_VELOCITY}</tt:DefaultContinuousPanTiltVelocitySpace>` +
    `<tt:DefaultContinuousZoomVelocitySpace>${GENERIC_ZOOM_VELOCITY}</tt:DefaultContinuousZoomVelocitySpace>` +
    '<tt:DefaultPTZSpeed><tt:PanTilt x="0.5" y="0.5" space="http://www.onvif.org/ver10/tptz/PanTiltSpaces/GenericSpeedSpace"/><tt:Zoom x="0.5" space="http://www.onvif.org/ver10/tptz/ZoomSpaces/ZoomGenericSpeedSpace"/></tt:DefaultPTZSpeed>' +
    '<tt:DefaultPTZTimeout>PT5S</tt:DefaultPTZTimeout>' +
    `<tt:PanTiltLimits><tt:Range><tt:URI>${GENERIC_PAN_TILT_POSITION}</tt:URI><tt:XRange>${range(-1, 1)}</tt:XRange><tt:YRange>${range(-1, 1)}</tt:YRange></tt:Range></tt:PanTiltLimits>` +
    `<tt:ZoomLimits><tt:Range><tt:URI>${GENERIC_ZOOM_POSITION}</tt:URI><tt:XRange>${range(0, 1)}</tt:XRange></tt:Range></tt:ZoomLimits>` +
    `</${element}>`
  );
}

function profileXml(profile: MediaProfile, element: string): string {
  return (
    `<${element} token="${profile.token}" fixed="true"><tt:Name>${escapeXml(profile.name)}</tt:Name>` +
    `<tt:VideoSourceConfiguration token="${VIDEO_SOURCE_CONFIG_TOKEN}"><tt:Name>VideoSourceConfig</tt:Name><tt:UseCount>${MEDIA_PROFILES.length}</tt:UseCount>` +
    `<tt:SourceToken>${VIDEO_SOURCE_TOKEN}</tt:SourceToken><tt:Bounds x="0" y="0" width="1920" height="1080"/></tt:VideoSourceConfiguration>` +
    `<tt:VideoEncoderConfiguration token="${profile.encoderToken}"><tt:Name>${escapeXml(profile.name)}</tt:Name><tt:UseCount>1</tt:UseCount>` +
    `<tt:Encoding>H264</tt:Encoding><tt:Resolution><tt:Width>${profile.width}</tt:Width><tt:Height>${profile.height}</tt:Height></tt:Resolution>` +
    '<tt:Quality>4</tt:Quality>' +
    `<tt:RateControl><tt:FrameRateLimit>${profile.frameRate}</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval><tt:BitrateLimit>${profile.bitrateKbps}</tt:BitrateLimit></tt:RateControl>` +
    `<tt:H264><tt:GovLength>${profile.govLength}</tt:GovLength><tt:H264Profile>${profile.h264Profile}</tt:H264Profile></tt:H264>` +
    '<tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>0.0.0.0</tt:IPv4Address></tt:Address><tt:Port>0</tt:Port><tt:TTL>1</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast>' +
    '<tt:SessionTimeout>PT60S</tt:SessionTimeout></tt:VideoEncoderConfiguration>' +
    ptzConfigurationXml('tt:PTZConfiguration') +
    `</${element}>`
  );
}

/** The profile a request names, or the ONVIF `ter:NoProfile` fault. */
export function requireProfile(payload: XmlNode): MediaProfile {
  const token = text(path(payload, 'ProfileToken'));
  if (token === undefined || token === '') throw faults.missingArg('ProfileToken');
  const profile = MEDIA_PROFILES.find((p) => p.token === token);
  if (!profile) throw faults.invalidArg('ter:NoProfile', `The requested profile token ${token} does not exist`);
  return profile;
}

function mediaUri(uri: string): string {
  return `<trt:MediaUri><tt:Uri>${escapeXml(uri)}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT60S</tt:Timeout></trt:MediaUri>`;
}

function getStreamUri(payload: XmlNode, { urls }: ServiceContext): string {
  const profile = requireProfile(payload);
  const stream = text(path(payload, 'StreamSetup', 'Stream'));
  if (stream !== undefined && stream !== 'RTP-Unicast') throw faults.invalidArg('ter:InvalidStreamSetup', `Only RTP-Unicast is offered, not ${stream}`);
  // UDP, HTTP and RTSP transports all start with the RTSP URI (RTP over UDP, over RTSP/TCP or
  // tunnelled in HTTP), as Hikvision and Dahua answer.
  return `<trt:GetStreamUriResponse>${mediaUri(urls.rtsp(profile))}</trt:GetStreamUriResponse>`;
}

function getSnapshotUri(payload: XmlNode, { urls }: ServiceContext): string {
  requireProfile(payload);
  return `<trt:GetSnapshotUriResponse>${mediaUri(urls.snapshot)}</trt:GetSnapshotUriResponse>`;
}

export const mediaService: SoapService = {
  name: 'media',
  operations: {
    GetProfiles: () => `<trt:GetProfilesResponse>${MEDIA_PROFILES.map((p) => profileXml(p, 'trt:Profiles')).join('')}</trt:GetProfilesResponse>`,
    GetProfile: (payload) => `<trt:GetProfileResponse>${profileXml(requireProfile(payload), 'trt:Profile')}</trt:GetProfileResponse>`,
    GetVideoSources: () =>
      `<trt:GetVideoSourcesResponse><trt:VideoSources token="${VIDEO_SOURCE_TOKEN}"><tt:Framerate>25</tt:Framerate><tt:Resolution><tt:Width>1920</tt:Width><tt:Height>1080</tt:Height></tt:Resolution></trt:VideoSources></trt:GetVideoSourcesResponse>`,
    GetStreamUri: getStreamUri,
    GetSnapshotUri: getSnapshotUri,
  },
  preAuth: new Set(),
};
