// SOAP request parsing (any prefixes, as clients write them) and fault envelopes, as the
// gateway's client reads them.
import { describe, expect, it } from 'vitest';
import { readFault } from '../../gateway/cameras/soap.js';
import { faults, parseSoapRequest, SoapFault, soapFaultEnvelope } from './soap.js';
import { attr, parseXml, path, text } from '../../lib/xml.js';

describe('parseSoapRequest', () => {
  it('finds the operation and payload whatever the prefixes (node-onvif style, default namespaces)', () => {
    const nodeOnvif = '<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:trt="http://www.onvif.org/ver10/media/wsdl"><s:Header/><s:Body><trt:GetStreamUri><trt:ProfileToken>Profile_2</trt:ProfileToken></trt:GetStreamUri></s:Body></s:Envelope>';
    const request = parseSoapRequest(nodeOnvif);
    expect(request.operation).toBe('GetStreamUri');
    expect(text(path(request.payload, 'ProfileToken'))).toBe('Profile_2');
    const defaults = '<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope"><Body><GetProfiles xmlns="http://www.onvif.org/ver10/media/wsdl"/></Body></Envelope>';
    expect(parseSoapRequest(defaults).operation).toBe('GetProfiles');
  });

  it('keeps attributes and values as strings', () => {
    const request = parseSoapRequest('<e:Envelope xmlns:e="x"><e:Body><p:ContinuousMove xmlns:p="y"><p:Velocity><t:PanTilt xmlns:t="z" x="0.50" y="-1"/></p:Velocity><p:ProfileToken>001</p:ProfileToken></p:ContinuousMove></e:Body></e:Envelope>');
    expect(attr(path(request.payload, 'Velocity', 'PanTilt'), 'x')).toBe('0.50');
    expect(text(path(request.payload, 'ProfileToken'))).toBe('001');
  });

  it.each([
    ['not XML', 'hello'],
    ['unclosed element', '<s:Envelope><s:Body><a:Op></s:Body></s:Envelope>'],
    ['not an envelope', '<html><body/></html>'],
    ['empty body', '<s:Envelope xmlns:s="x"><s:Body/></s:Envelope>'],
    ['empty text', ''],
  ])('%s → ter:WellFormed Sender fault', (_name, xml) => {
    expect(() => parseSoapRequest(xml)).toThrow(SoapFault);
    try {
      parseSoapRequest(xml);
    } catch (err) {
      expect(err).toMatchObject({ code: 'Sender', subcodes: ['ter:WellFormed'], httpStatus: 400 });
    }
  });
});

describe('soapFaultEnvelope', () => {
  it('nests subcodes and carries the reason, readable by the gateway', () => {
    const xml = soapFaultEnvelope(faults.invalidArg('ter:NoProfile', 'no such profile'));
    expect(readFault(parseXml(xml))).toEqual({ code: 'env:Sender', subcodes: ['ter:InvalidArgVal', 'ter:NoProfile'], reason: 'no such profile' });
    expect(faults.actionNotSupported('X').httpStatus).toBe(500);
    expect(faults.notAuthorized().reason).toBe('Sender not Authorized');
  });
});
