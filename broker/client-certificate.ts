// Binds a TLS client certificate to the broker account it logs in as. A gateway certificate
// of the site PKI names its gateway in the SAN `URI:urn:shaobing:gateway:{site}:{gateway}`
// (cli/pki.ts); with mutual TLS a gateway may then connect only as the account of that site and
// gateway, so a stolen password alone, or a certificate alone, does not let anyone in.
// Pure functions over what Node's TLS layer reports (server.ts reads it from the socket), so
// the rules are tested with plain tables (client-certificate.test.ts).
import { idSchema } from '../protocol/index.js';
import type { Account } from './accounts.js';

/** What the TLS layer says about the peer's certificate, reduced to what the binding needs. */
export interface PeerCertificateFacts {
  /** The client sent a certificate. */
  presented: boolean;
  /** It chains to the configured CA (tls.TLSSocket#authorized). */
  authorized: boolean;
  /** Subject CN, for logs only (see gatewayIdentityOf). */
  commonName?: string;
  /** Node's `subjectaltname` string: `URI:urn:…, DNS:host, IP Address:10.0.0.2`. */
  subjectAltName?: string;
}

/** The part of Node's tls.PeerCertificate read here; `{}` when the client sent none. */
export interface PeerCertificateLike {
  subject?: Record<string, string | string[] | undefined>;
  subjectaltname?: string;
}

export type CertificateIdentity =
  /** Plain MQTT, or TLS without a client certificate (the server did not ask for one). */
  | { kind: 'none' }
  /** A certificate the CA did not vouch for: its names mean nothing. */
  | { kind: 'unverified'; commonName?: string }
  | { kind: 'gateway'; site: string; gateway: string; commonName?: string }
  /** A verified certificate that names no gateway (a service's or another PKI's client certificate). */
  | { kind: 'other'; commonName?: string }
  /** Names gateways in a way that cannot be trusted: a malformed gateway URN, or several gateways. */
  | { kind: 'invalid'; reason: string; commonName?: string };

/** Why a certificate does not fit the account; each is counted (BrokerCounters.certificateRefusalsByCause). */
export type CertificateRefusal =
  | 'other-gateway'
  | 'gateway-certificate-for-service'
  | 'no-gateway-identity'
  | 'invalid-identity'
  | 'unverified';

export const CERTIFICATE_REFUSALS: readonly CertificateRefusal[] = ['other-gateway', 'gateway-certificate-for-service', 'no-gateway-identity', 'invalid-identity', 'unverified'];

export type BindingDecision = { allowed: true } | { allowed: false; cause: CertificateRefusal; detail: string };

export interface BindingPolicy {
  /**
   * A gateway account must present a certificate naming its own site and gateway. Off, a
   * certificate that names no gateway is accepted for a gateway account (a PKI whose client
   * certificates carry no Shaobing URN); one naming another gateway is refused either way.
   */
  gatewayIdentityRequired: boolean;
}

const GATEWAY_URN_PREFIX = 'urn:shaobing:gateway:';

/** The URN a gateway certificate carries: `shaobing pki issue` writes it (cli/pki.ts), the broker checks it. */
export function gatewayUrn(site: string, gateway: string): string {
  return `${GATEWAY_URN_PREFIX}${site}:${gateway}`;
}

/**
 * Splits Node's `subjectaltname` (`type:value, type:value`). Since Node 17 a value holding a
 * comma, quote or other special character is written as a JSON string (`URI:"a,b"`), so a
 * crafted SAN cannot smuggle a second entry in through a comma.
 */
export function parseSubjectAltNames(text: string): Array<{ type: string; value: string }> {
  const entries: Array<{ type: string; value: string }> = [];
  const entry = /\s*([^:,]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:,|$)/gy;
  let match: RegExpExecArray | null;
  while (entry.lastIndex < text.length && (match = entry.exec(text)) !== null) {
    const raw = match[2]!;
    let value = raw;
    if (raw.startsWith('"')) {
      try {
        value = JSON.parse(raw) as string;
      } catch {
        value = raw;
      }
    }
    entries.push({ type: match[1]!.trim(), value });
    if (match[0].length === 0) break;
  }
  return entries;
}

/** Node's facts about a peer certificate (from getPeerCertificate() and #authorized). */
export function peerCertificateFacts(certificate: PeerCertificateLike | null | undefined, authorized: boolean): PeerCertificateFacts {
  // getPeerCertificate() answers `{}` (or null on a closed socket) when the client sent no certificate.
  if (!certificate || Object.keys(certificate).length === 0) return { presented: false, authorized: false };
  const cn = certificate.subject?.CN;
  const commonName = Array.isArray(cn) ? cn.join(' + ') : cn;
  return {
    presented: true,
    authorized,
    ...(commonName !== undefined ? { commonName } : {}),
    ...(certificate.subjectaltname !== undefined ? { subjectAltName: certificate.subjectaltname } : {}),
  };
}

/**
 * The gateway a certificate names. Only the URI SAN counts: it has one fixed syntax, while a
 * CN of `{site}.{gateway}` cannot be told apart from a DNS name such as `broker.local`, and
 * other PKIs put anything in the CN. The CN is kept for the logs.
 */
export function gatewayIdentityOf(facts: PeerCertificateFacts | undefined): CertificateIdentity {
  if (facts === undefined || !facts.presented) return { kind: 'none' };
  const commonName = facts.commonName !== undefined ? { commonName: facts.commonName } : {};
  if (!facts.authorized) return { kind: 'unverified', ...commonName };
  const urns = new Set(
    parseSubjectAltNames(facts.subjectAltName ?? '')
      .filter((name) => name.type === 'URI' && name.value.toLowerCase().startsWith(GATEWAY_URN_PREFIX))
      .map((name) => name.value),
  );
  if (urns.size === 0) return { kind: 'other', ...commonName };
  if (urns.size > 1) return { kind: 'invalid', reason: `names ${urns.size} gateways (${[...urns].join(', ')})`, ...commonName };
  const urn = [...urns][0]!;
  const parts = urn.slice(GATEWAY_URN_PREFIX.length).split(':');
  const [site, gateway] = parts;
  if (parts.length !== 2 || !idSchema.safeParse(site).success || !idSchema.safeParse(gateway).success) {
    return { kind: 'invalid', reason: `malformed gateway URN ${JSON.stringify(urn)}`, ...commonName };
  }
  return { kind: 'gateway', site: site!, gateway: gateway!, ...commonName };
}

/** A short name of the identity for logs: `gateway tj-east/gw-1 (CN tj-east.gw-1)`. */
export function describeIdentity(identity: CertificateIdentity): string {
  const cn = 'commonName' in identity && identity.commonName !== undefined ? ` (CN ${identity.commonName})` : '';
  switch (identity.kind) {
    case 'none': return 'no client certificate';
    case 'unverified': return `an unverified certificate${cn}`;
    case 'gateway': return `gateway ${identity.site}/${identity.gateway}${cn}`;
    case 'other': return `a certificate naming no gateway${cn}`;
    case 'invalid': return `a certificate that ${identity.reason}${cn}`;
  }
}

/** A short name of the account for logs: `gateway tj-east/gw-1` or `service ingest`. */
export function describeAccount(account: Account): string {
  return account.role === 'gateway' ? `gateway ${account.site}/${account.gateway}` : `service ${account.username} (${account.role})`;
}

/**
 * Does the certificate fit the account? Compared with the account's site and gateway, not
 * with its username: accounts files may name a gateway `gw-tj-east-1`; the registry names it
 * `{site}.{gateway}`, and both carry the ids.
 */
export function decideCertificateBinding(account: Account, identity: CertificateIdentity, policy: BindingPolicy): BindingDecision {
  const refuse = (cause: CertificateRefusal): BindingDecision => ({ allowed: false, cause, detail: `${describeAccount(account)} presented ${describeIdentity(identity)}` });
  switch (identity.kind) {
    case 'none':
      // No certificate to bind: plain MQTT (loopback) or TLS that asked for none. Mutual TLS
      // refuses certificate-less clients in the handshake, before any account is known.
      return { allowed: true };
    case 'unverified':
      return refuse('unverified');
    case 'invalid':
      return refuse('invalid-identity');
    case 'gateway':
      if (account.role !== 'gateway') return refuse('gateway-certificate-for-service');
      return identity.site === account.site && identity.gateway === account.gateway ? { allowed: true } : refuse('other-gateway');
    case 'other':
      return account.role === 'gateway' && policy.gatewayIdentityRequired ? refuse('no-gateway-identity') : { allowed: true };
  }
}
