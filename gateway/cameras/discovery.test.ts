// Matching discovered cameras to the configured `discover` entries, and choosing their address.
import { describe, expect, it } from 'vitest';
import { matchesCamera, parseTarget, pickXaddr } from './discovery.js';

const camera = { urn: 'urn:uuid:0c00c429-e18d-5c5f-a770-bbf1365189f0', name: 'Gate%20North', hardware: 'SE-PTZ-2M' };

describe('matchesCamera', () => {
  it.each([
    { match: { name: 'Gate North' }, ok: true },
    { match: { name: 'gate_north' }, ok: true },
    { match: { name: 'Gate South' }, ok: false },
    { match: { hardware: 'se-ptz-2m' }, ok: true },
    { match: { name: 'Gate North', hardware: 'DS-2DE' }, ok: false },
    { match: { urn: 'urn:uuid:0c00c429-e18d-5c5f-a770-bbf1365189f0' }, ok: true },
    { match: { urn: '0c00c429-e18d-5c5f-a770-bbf1365189f0' }, ok: true },
    { match: { urn: 'urn:uuid:other' }, ok: false },
  ])('$match → $ok', ({ match, ok }) => {
    expect(matchesCamera(camera, match)).toBe(ok);
  });
});

describe('pickXaddr and parseTarget', () => {
  it('prefers an IPv4 http address', () => {
    expect(pickXaddr(['http://[fe80::1]/onvif/device_service', 'http://10.0.0.5/onvif/device_service'])).toBe('http://10.0.0.5/onvif/device_service');
    expect(pickXaddr(['soap.udp://x', 'https://10.0.0.5/onvif/device_service'])).toBe('https://10.0.0.5/onvif/device_service');
    expect(pickXaddr([])).toBeUndefined();
  });

  it('splits host:port', () => {
    expect(parseTarget('239.255.255.250:3702')).toEqual({ host: '239.255.255.250', port: 3702 });
    expect(() => parseTarget('239.255.255.250')).toThrow(/not host:port/);
  });
});
