// PTZ service (/onvif/ptz_service, ONVIF PTZ ver20): continuous moves with a timeout, stop,
// presets, status. Positions and speeds in the generic spaces the profiles advertise.
import { PTZ_PRESETS } from '../camera-model.js';
import { formatDateTime, parseDuration } from '../duration.js';
import { faults } from '../soap.js';
import { attr, escapeXml, path, text, type XmlNode } from '../../../lib/xml.js';
import type { ServiceContext, SoapService } from './context.js';
import { requireProfile } from './media-service.js';

/** Without a Timeout a move runs for the profile's DefaultPTZTimeout (PT5S). */
const DEFAULT_MOVE_TIMEOUT_MS = 5000;

function number(node: XmlNode | undefined, name: string): number {
  const raw = attr(node, name);
  if (raw === undefined) return 0;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw faults.invalidArg('ter:InvalidVelocity', `${name}="${raw}" is not a number`);
  return value;
}

function continuousMove(payload: XmlNode, { ptz, now }: ServiceContext): string {
  requireProfile(payload);
  const velocity = path(payload, 'Velocity');
  if (velocity === undefined) throw faults.missingArg('Velocity');
  const panTilt = path(velocity, 'PanTilt');
  const zoom = path(velocity, 'Zoom');
  const timeoutText = text(path(payload, 'Timeout'));
  const timeoutMs = timeoutText === undefined ? DEFAULT_MOVE_TIMEOUT_MS : parseDuration(timeoutText);
  if (timeoutMs === undefined || timeoutMs < 0) throw faults.invalidArg('ter:TimeoutNotSupported', `Timeout ${timeoutText} is not an xs:duration`);
  ptz.continuousMove({ pan: number(panTilt, 'x'), tilt: number(panTilt, 'y'), zoom: number(zoom, 'x') }, now, timeoutMs);
  return '<tptz:ContinuousMoveResponse/>';
}

function stop(payload: XmlNode, { ptz, now }: ServiceContext): string {
  requireProfile(payload);
  const flag = (name: string) => {
    const value = text(path(payload, name));
    return value === undefined ? undefined : value === 'true' || value === '1';
  };
  const panTilt = flag('PanTilt');
  const zoom = flag('Zoom');
  // Neither flag: stop everything (ONVIF PTZ §5.3.5).
  ptz.stop(now, panTilt === undefined && zoom === undefined ? {} : { panTilt: panTilt ?? false, zoom: zoom ?? false });
  return '<tptz:StopResponse/>';
}

const positionXml = (p: { pan: number; tilt: number; zoom: number }) =>
  `<tt:PanTilt x="${p.pan}" y="${p.tilt}" space="http://www.onvif.org/ver10/tptz/PanTiltSpaces/PositionGenericSpace"/><tt:Zoom x="${p.zoom}" space="http://www.onvif.org/ver10/tptz/ZoomSpaces/PositionGenericSpace"/>`;

function getPresets(payload: XmlNode): string {
  requireProfile(payload);
  const presets = PTZ_PRESETS.map((p) => `<tptz:Preset token="${p.token}"><tt:Name>${escapeXml(p.name)}</tt:Name><tt:PTZPosition>${positionXml(p.position)}</tt:PTZPosition></tptz:Preset>`);
  return `<tptz:GetPresetsResponse>${presets.join('')}</tptz:GetPresetsResponse>`;
}

function gotoPreset(payload: XmlNode, { ptz, now }: ServiceContext): string {
  requireProfile(payload);
  const token = text(path(payload, 'PresetToken'));
  if (!token) throw faults.missingArg('PresetToken');
  const preset = PTZ_PRESETS.find((p) => p.token === token);
  if (!preset) throw faults.invalidArg('ter:NoToken', `The requested preset token ${token} does not exist`);
  ptz.gotoPosition(preset.position, now, preset.token);
  return '<tptz:GotoPresetResponse/>';
}

function getStatus(payload: XmlNode, { ptz, now }: ServiceContext): string {
  requireProfile(payload);
  const s = ptz.snapshot(now);
  const panTiltMoving = s.velocity.pan !== 0 || s.velocity.tilt !== 0;
  return (
    `<tptz:GetStatusResponse><tptz:PTZStatus><tt:Position>${positionXml(s)}</tt:Position>` +
    `<tt:MoveStatus><tt:PanTilt>${panTiltMoving ? 'MOVING' : 'IDLE'}</tt:PanTilt><tt:Zoom>${s.velocity.zoom !== 0 ? 'MOVING' : 'IDLE'}</tt:Zoom></tt:MoveStatus>` +
    `<tt:UtcTime>${formatDateTime(now)}</tt:UtcTime></tptz:PTZStatus></tptz:GetStatusResponse>`
  );
}

export const ptzService: SoapService = {
  name: 'ptz',
  operations: { ContinuousMove: continuousMove, Stop: stop, GetPresets: getPresets, GotoPreset: gotoPreset, GetStatus: getStatus },
  preAuth: new Set(),
};
