import { describe, expect, it } from 'vitest';
import type { Account } from './accounts.js';
import {
  decideCertificateBinding,
  gatewayIdentityOf,
  gatewayUrn,
  parseSubjectAltNames,
  peerCertificateFacts,
  type CertificateIdentity,
  type CertificateRefusal,
  type PeerCertificateFacts,
} from './client-certificate.js';

const verified = (subjectAltName: string | undefined, commonName?: string): PeerCertificateFacts => ({
  presented: true, authorized: true, ...(subjectAltName !== undefined ? { subjectAltName } : {}), ...(commonName !== undefined ? { commonName } : {}),
});

describe('parseSubjectAltNames', () => {
  it.each<[string, Array<{ type: string; value: string }>]>([
    ['', []],
    ['URI:urn:shaobing:gateway:tj-east:gw-1', [{ type: 'URI', value: 'urn:shaobing:gateway:tj-east:gw-1' }]],
    ['DNS:localhost, IP Address:127.0.0.1', [{ type: 'DNS', value: 'localhost' }, { type: 'IP Address', value: '127.0.0.1' }]],
    // Node quotes values with special characters: a comma inside is not a second entry.
    ['URI:"urn:x, URI:urn:shaobing:gateway:a:b", DNS:h', [{ type: 'URI', value: 'urn:x, URI:urn:shaobing:gateway:a:b' }, { type: 'DNS', value: 'h' }]],
    ['URI:"a\\"b"', [{ type: 'URI', value: 'a"b' }]],
  ])('%j', (text, expected) => {
    expect(parseSubjectAltNames(text)).toEqual(expected);
  });
});

describe('peerCertificateFacts', () => {
  it.each<[string, Parameters<typeof peerCertificateFacts>[0], boolean, PeerCertificateFacts]>([
    ['no certificate ({})', {}, false, { presented: false, authorized: false }],
    ['a closed socket (null)', null, false, { presented: false, authorized: false }],
    ['a gateway certificate', { subject: { CN: 'tj-east.gw-1', OU: 'gateway' }, subjectaltname: 'URI:urn:shaobing:gateway:tj-east:gw-1' }, true,
      { presented: true, authorized: true, commonName: 'tj-east.gw-1', subjectAltName: 'URI:urn:shaobing:gateway:tj-east:gw-1' }],
    ['several CNs, no SAN', { subject: { CN: ['a', 'b'] } }, true, { presented: true, authorized: true, commonName: 'a + b' }],
    ['not verified', { subject: { CN: 'x' } }, false, { presented: true, authorized: false, commonName: 'x' }],
  ])('%s', (_name, certificate, authorized, expected) => {
    expect(peerCertificateFacts(certificate, authorized)).toEqual(expected);
  });
});

describe('gatewayIdentityOf', () => {
  it.each<[string, PeerCertificateFacts | undefined, CertificateIdentity]>([
    ['plain MQTT (no TLS)', undefined, { kind: 'none' }],
    ['TLS without a client certificate', { presented: false, authorized: false }, { kind: 'none' }],
    ['a certificate the CA did not sign', { presented: true, authorized: false, commonName: 'tj-east.gw-1', subjectAltName: 'URI:urn:shaobing:gateway:tj-east:gw-1' },
      { kind: 'unverified', commonName: 'tj-east.gw-1' }],
    ['shaobing pki issue --gateway', verified('URI:urn:shaobing:gateway:tj-east:gw-1', 'tj-east.gw-1'), { kind: 'gateway', site: 'tj-east', gateway: 'gw-1', commonName: 'tj-east.gw-1' }],
    ['the URN among other names, the prefix in capitals', verified('DNS:gw1.local, URI:URN:SHAOBING:GATEWAY:tj-east:gw-1'), { kind: 'gateway', site: 'tj-east', gateway: 'gw-1' }],
    ['the same URN twice', verified('URI:urn:shaobing:gateway:a:b, URI:urn:shaobing:gateway:a:b'), { kind: 'gateway', site: 'a', gateway: 'b' }],
    ['a server certificate', verified('DNS:localhost, IP Address:127.0.0.1', 'localhost'), { kind: 'other', commonName: 'localhost' }],
    // The CN alone names no gateway: `tj-east.gw-1` looks like any DNS name.
    ['a CN like a gateway username, no URN', verified(undefined, 'tj-east.gw-1'), { kind: 'other', commonName: 'tj-east.gw-1' }],
    ['another URN', verified('URI:urn:example:tj-east:gw-1'), { kind: 'other' }],
    ['two gateways', verified('URI:urn:shaobing:gateway:a:b, URI:urn:shaobing:gateway:a:c'),
      { kind: 'invalid', reason: 'names 2 gateways (urn:shaobing:gateway:a:b, urn:shaobing:gateway:a:c)' }],
    ['an extra level', verified('URI:urn:shaobing:gateway:a:b:c'), { kind: 'invalid', reason: 'malformed gateway URN "urn:shaobing:gateway:a:b:c"' }],
    ['no gateway id', verified('URI:urn:shaobing:gateway:a'), { kind: 'invalid', reason: 'malformed gateway URN "urn:shaobing:gateway:a"' }],
    ['ids in capitals (topics are lowercase)', verified('URI:urn:shaobing:gateway:TJ-EAST:gw-1'), { kind: 'invalid', reason: 'malformed gateway URN "urn:shaobing:gateway:TJ-EAST:gw-1"' }],
    ['an empty site', verified('URI:urn:shaobing:gateway::gw-1'), { kind: 'invalid', reason: 'malformed gateway URN "urn:shaobing:gateway::gw-1"' }],
  ])('%s', (_name, facts, expected) => {
    expect(gatewayIdentityOf(facts)).toEqual(expected);
  });

  it('reads what gatewayUrn writes', () => {
    expect(gatewayIdentityOf(verified(`URI:${gatewayUrn('jiejinkou', 'gw-01')}`))).toEqual({ kind: 'gateway', site: 'jiejinkou', gateway: 'gw-01' });
  });
});

describe('decideCertificateBinding', () => {
  const gatewayAccount: Account = { role: 'gateway', username: 'tj-east.gw-1', passwordHash: 'h', site: 'tj-east', gateway: 'gw-1' };
  // Accounts files may use other usernames: the ids decide, not the name.
  const namedGateway: Account = { role: 'gateway', username: 'gw-tj-east-1', passwordHash: 'h', site: 'tj-east', gateway: 'gw-1' };
  const ingest: Account = { role: 'ingest', username: 'ingest', passwordHash: 'h' };
  const api: Account = { role: 'api', username: 'api', passwordHash: 'h' };
  const own: CertificateIdentity = { kind: 'gateway', site: 'tj-east', gateway: 'gw-1', commonName: 'tj-east.gw-1' };
  const sameGatewayOtherSite: CertificateIdentity = { kind: 'gateway', site: 'tj-west', gateway: 'gw-1' };
  const otherGatewaySameSite: CertificateIdentity = { kind: 'gateway', site: 'tj-east', gateway: 'gw-2' };
  const server: CertificateIdentity = { kind: 'other', commonName: 'localhost' };
  const none: CertificateIdentity = { kind: 'none' };
  const unverified: CertificateIdentity = { kind: 'unverified' };
  const invalid: CertificateIdentity = { kind: 'invalid', reason: 'names 2 gateways' };

  it.each<[string, Account, CertificateIdentity, boolean, CertificateRefusal | 'allowed']>([
    ['a gateway with its own certificate', gatewayAccount, own, true, 'allowed'],
    ['… under an accounts-file username', namedGateway, own, true, 'allowed'],
    ['… with the binding optional', gatewayAccount, own, false, 'allowed'],
    ['a gateway with the same gateway id of another site', gatewayAccount, sameGatewayOtherSite, true, 'other-gateway'],
    ['a gateway with another gateway of its site', gatewayAccount, otherGatewaySameSite, true, 'other-gateway'],
    ['… refused even with the binding optional', gatewayAccount, otherGatewaySameSite, false, 'other-gateway'],
    ['a gateway with a certificate naming no gateway', gatewayAccount, server, true, 'no-gateway-identity'],
    ['… accepted with the binding optional', gatewayAccount, server, false, 'allowed'],
    ['a gateway without a certificate (plain loopback port)', gatewayAccount, none, true, 'allowed'],
    ['a gateway with a certificate naming two gateways', gatewayAccount, invalid, false, 'invalid-identity'],
    ['a gateway with an unverified certificate', gatewayAccount, unverified, false, 'unverified'],
    ['ingest with a gateway certificate', ingest, own, true, 'gateway-certificate-for-service'],
    ['api with a gateway certificate, binding optional', api, own, false, 'gateway-certificate-for-service'],
    ['ingest with a service certificate', ingest, server, true, 'allowed'],
    ['api without a certificate', api, none, true, 'allowed'],
    ['api with a certificate naming two gateways', api, invalid, true, 'invalid-identity'],
  ])('%s', (_name, account, identity, gatewayIdentityRequired, expected) => {
    const decision = decideCertificateBinding(account, identity, { gatewayIdentityRequired });
    expect(decision.allowed ? 'allowed' : decision.cause).toBe(expected);
  });

  it('names both identities in the refusal', () => {
    const decision = decideCertificateBinding(gatewayAccount, otherGatewaySameSite, { gatewayIdentityRequired: true });
    expect(decision).toEqual({ allowed: false, cause: 'other-gateway', detail: 'gateway tj-east/gw-1 presented gateway tj-east/gw-2' });
    const service = decideCertificateBinding(ingest, own, { gatewayIdentityRequired: true });
    expect(service).toMatchObject({ detail: 'service ingest (ingest) presented gateway tj-east/gw-1 (CN tj-east.gw-1)' });
  });
});
