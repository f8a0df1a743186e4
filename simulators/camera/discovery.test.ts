// WS-Discovery messages: probes as node-onvif and others send them, matching, ProbeMatches.
import { describe, expect, it } from 'vitest';
import { parseProbe, parseProbeMatches, probeMatches, probeMatchesXml, probeXml } from './discovery.js';

const scopes = ['onvif://www.onvif.org/type/video_encoder', 'onvif://www.onvif.org/name/River%20Ice', 'onvif://www.onvif.org/location/city/Tongjiang'];
const device = { endpoint: 'urn:uuid:11111111-2222-5333-8444-555555555555', xaddrs: ['http://127.0.0.1:8080/onvif/device_service'], scopes };

/** node-onvif 0.1.7's probe, verbatim but for the uuid. */
const nodeOnvifProbe = (type: string) =>
  '<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"><s:Header><a:Action s:mustUnderstand="1">http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action><a:MessageID>uuid:0f5d0a2c-1b7e-4c7d-9d3e-2a9b7a1c4e10</a:MessageID><a:ReplyTo><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo><a:To s:mustUnderstand="1">urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To></s:Header><s:Body><Probe xmlns="http://schemas.xmlsoap.org/ws/2005/04/discovery"><d:Types xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dp0="http://www.onvif.org/ver10/network/wsdl">dp0:' +
  type +
  '</d:Types></Probe></s:Body></s:Envelope>';

describe('parseProbe / probeMatches', () => {
  it('reads node-onvif probes and answers video transmitters and devices, not displays', () => {
    const probe = parseProbe(nodeOnvifProbe('NetworkVideoTransmitter'))!;
    expect(probe).toEqual({ messageId: 'uuid:0f5d0a2c-1b7e-4c7d-9d3e-2a9b7a1c4e10', types: ['NetworkVideoTransmitter'], scopes: [] });
    expect(probeMatches(probe, scopes)).toBe(true);
    expect(probeMatches(parseProbe(nodeOnvifProbe('Device'))!, scopes)).toBe(true);
    expect(probeMatches(parseProbe(nodeOnvifProbe('NetworkVideoDisplay'))!, scopes)).toBe(false);
  });

  it('matches scopes by prefix, segment-wise', () => {
    const probe = { messageId: 'x', types: [], scopes: ['onvif://www.onvif.org/location/city'] };
    expect(probeMatches(probe, scopes)).toBe(true);
    expect(probeMatches({ ...probe, scopes: ['onvif://www.onvif.org/location/ci'] }, scopes)).toBe(false);
  });

  it('ignores garbage and other messages', () => {
    expect(parseProbe('not xml')).toBeUndefined();
    expect(parseProbe(probeMatchesXml('uuid:x', device, { instanceId: 1, messageNumber: 1 }))).toBeUndefined();
  });
});

describe('ProbeMatches', () => {
  it('round-trips endpoint, XAddrs, scopes and RelatesTo', () => {
    const probe = parseProbe(probeXml('uuid:abc'))!;
    const [match] = parseProbeMatches(probeMatchesXml(probe.messageId, device, { instanceId: 1, messageNumber: 1 }));
    expect(match).toEqual({ endpoint: device.endpoint, xaddrs: device.xaddrs, scopes, types: ['dn:NetworkVideoTransmitter', 'tds:Device'], relatesTo: 'uuid:abc' });
  });
});
