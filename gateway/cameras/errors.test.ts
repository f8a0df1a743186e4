// Failures sorted into auth / unreachable / protocol, from the shapes node-onvif, Node's sockets
// and our own clients produce; URLs without credentials.
import { describe, expect, it } from 'vitest';
import { CameraError, classifyCameraError, redactUrl, toCameraError } from './errors.js';

describe('classifyCameraError', () => {
  it.each([
    { err: new Error('Failed to initialize the device: Error: 400 Bad Request - Sender not Authorized'), kind: 'auth' },
    { err: new Error('401 Unauthorized'), kind: 'auth' },
    { err: new Error('Failed to initialize the device: Error: Network Error: connect ECONNREFUSED 127.0.0.1:80'), kind: 'unreachable' },
    { err: new Error('Network Error: socket hang up'), kind: 'unreachable' },
    { err: Object.assign(new Error('connect EHOSTUNREACH 10.0.0.5:80'), { code: 'EHOSTUNREACH' }), kind: 'unreachable' },
    { err: new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) }), kind: 'unreachable' },
    { err: Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' }), kind: 'unreachable' },
    { err: new Error('Failed to initialize the device: Error: 404 Not Found'), kind: 'protocol' },
    { err: new Error('The device seems to not support the GetProfiles() method.'), kind: 'protocol' },
    { err: new CameraError('auth', 'snapshot refused'), kind: 'auth' },
  ])('$err.message → $kind', ({ err, kind }) => {
    expect(classifyCameraError(err)).toBe(kind);
  });

  it('says what was being done', () => {
    const error = toCameraError(new Error('Error: 400 Bad Request - Sender not Authorized'), 'connect');
    expect(error).toMatchObject({ kind: 'auth', message: 'connect: 400 Bad Request - Sender not Authorized' });
  });
});

describe('redactUrl', () => {
  it.each([
    ['http://admin:secret@10.0.0.5/onvif/device_service', 'http://10.0.0.5/onvif/device_service'],
    ['rtsp://admin:secret@10.0.0.5:554/Streaming/Channels/101', 'rtsp://10.0.0.5:554/Streaming/Channels/101'],
    ['http://10.0.0.5/cgi-bin/snapshot.cgi?user=admin&pwd=secret&chn=1', 'http://10.0.0.5/cgi-bin/snapshot.cgi?user=admin&pwd=redacted&chn=1'],
    ['http://10.0.0.5/onvif/device_service', 'http://10.0.0.5/onvif/device_service'],
  ])('%s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });
});
