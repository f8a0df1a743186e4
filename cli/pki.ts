// A small site PKI for installations that have none (`shaobing pki init|issue`): one CA per
// site (10 years) that signs the broker's and the API's server certificates and the gateways'
// client certificates. Pure JavaScript (@peculiar/x509 on Node's WebCrypto), so it runs on a
// gateway box or a technician's laptop without openssl. Keys are written 0600 and never
// overwritten; a certificate's identity is in its SANs, which is what TLS clients check.
import { X509Certificate as NodeX509Certificate, createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import { gatewayUrn } from '../broker/client-certificate.js';
import { idSchema } from '../protocol/index.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export type KeyType = 'ec' | 'rsa';

export const CA_CERT_FILE = 'ca.crt';
export const CA_KEY_FILE = 'ca.key';
const DAY_MS = 86_400_000;
const CA_VALIDITY_DAYS = 3650;
/** Leaf default: long, because a field gateway has no automatic renewal yet; clamp to the CA's end. */
export const DEFAULT_LEAF_DAYS = 1825;

export class PkiError extends Error {
  override readonly name = 'PkiError';
}

const keyAlgorithms = {
  ec: { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' },
  rsa: { name: 'RSASSA-PKCS1-v1_5', modulusLength: 3072, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
} as const;
const describeKeyType = (type: KeyType) => (type === 'ec' ? 'EC P-256' : 'RSA 3072');

async function generateKeys(type: KeyType): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(keyAlgorithms[type], true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

/** 16 random bytes, positive (RFC 5280: at most 20 octets, non-negative). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

/** Writes a new file; refuses to replace one (a key overwritten by mistake cannot be recovered). */
function writeNew(file: string, data: string, mode: number): void {
  try {
    fs.writeFileSync(file, data, { mode, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new PkiError(`${file} exists already: refusing to overwrite it (move it away first)`);
    throw err;
  }
  fs.chmodSync(file, mode); // the umask may have narrowed it; make the mode exact
}

function fingerprint(pem: string): string {
  return new NodeX509Certificate(pem).fingerprint256;
}

export interface CaInfo {
  certFile: string;
  keyFile: string;
  subject: string;
  keyType: KeyType;
  notAfter: Date;
  fingerprint: string;
}

/** Creates `dir` (0700) with a self-signed CA: ca.crt and ca.key (0600). */
export async function initSiteCa(options: { dir: string; name: string; keyType?: KeyType; now?: Date }): Promise<CaInfo> {
  const keyType = options.keyType ?? 'ec';
  const name = options.name.trim();
  if (name.length === 0 || name.length > 64) throw new PkiError('--name must be 1 to 64 characters (the CA\'s common name)');
  fs.mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  const certFile = path.join(options.dir, CA_CERT_FILE);
  const keyFile = path.join(options.dir, CA_KEY_FILE);
  for (const file of [certFile, keyFile]) {
    if (fs.existsSync(file)) throw new PkiError(`${file} exists already: this directory holds a CA (use \`shaobing pki issue\`, or choose another --dir)`);
  }
  const notBefore = new Date((options.now ?? new Date()).getTime() - 5 * 60_000); // clock skew between machines
  const notAfter = new Date(notBefore.getTime() + CA_VALIDITY_DAYS * DAY_MS);
  const keys = await generateKeys(keyType);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: [{ CN: [name] }, { O: ['Shaobing site PKI'] }],
    notBefore, notAfter,
    keys,
    signingAlgorithm: keyAlgorithms[keyType],
    extensions: [
      // pathLen 0: this CA signs end entities only.
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pem = cert.toString('pem');
  writeNew(keyFile, await privateKeyPem(keys.privateKey), 0o600);
  writeNew(certFile, `${pem}\n`, 0o644);
  return { certFile, keyFile, subject: cert.subject, keyType, notAfter, fingerprint: fingerprint(pem) };
}

interface LoadedCa { cert: x509.X509Certificate; key: CryptoKey; keyType: KeyType }

async function loadCa(dir: string): Promise<LoadedCa> {
  const certFile = path.join(dir, CA_CERT_FILE);
  const keyFile = path.join(dir, CA_KEY_FILE);
  let certPem: string;
  let keyPem: string;
  try {
    certPem = fs.readFileSync(certFile, 'utf8');
    keyPem = fs.readFileSync(keyFile, 'utf8');
  } catch (err) {
    throw new PkiError(`no site CA in ${dir} (${(err as Error).message}): create one with \`shaobing pki init --dir ${dir} --name "…"\``);
  }
  const nodeKey = createPrivateKey(keyPem);
  const keyType: KeyType | undefined = nodeKey.asymmetricKeyType === 'ec' && nodeKey.asymmetricKeyDetails?.namedCurve === 'prime256v1'
    ? 'ec'
    : nodeKey.asymmetricKeyType === 'rsa' ? 'rsa' : undefined;
  if (!keyType) throw new PkiError(`${keyFile}: unsupported key (expected EC P-256 or RSA)`);
  const der = nodeKey.export({ format: 'der', type: 'pkcs8' });
  const key = await webcrypto.subtle.importKey('pkcs8', der, keyAlgorithms[keyType], false, ['sign']) as CryptoKey;
  const cert = new x509.X509Certificate(certPem);
  if (!new NodeX509Certificate(certPem).checkPrivateKey(nodeKey)) throw new PkiError(`${keyFile} is not the key of ${certFile}`);
  return { cert, key, keyType };
}

export type IssueRequest =
  | { kind: 'server'; name: string; dns?: string[]; ips?: string[] }
  | { kind: 'gateway'; site: string; gateway: string };

export interface IssuedCertificate {
  certFile: string;
  keyFile: string;
  subject: string;
  /** As Node prints it, e.g. `DNS:broker.tongjiang.local, IP Address:10.0.0.2`. */
  subjectAltName: string;
  notAfter: Date;
  fingerprint: string;
}

/** The identity a gateway certificate carries: CN = the broker username, plus a URI SAN. */
export function gatewayIdentity(site: string, gateway: string): { commonName: string; uri: string } {
  return { commonName: `${site}.${gateway}`, uri: gatewayUrn(site, gateway) };
}

const dnsNamePattern = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** Issues a server or gateway certificate signed by the CA in `dir`; files named after it unless `outName`. */
export async function issueCertificate(options: { dir: string; request: IssueRequest; keyType?: KeyType; days?: number; outName?: string; now?: Date }): Promise<IssuedCertificate> {
  const { request } = options;
  const keyType = options.keyType ?? 'ec';
  const days = options.days ?? DEFAULT_LEAF_DAYS;
  if (!Number.isInteger(days) || days < 1 || days > CA_VALIDITY_DAYS) throw new PkiError(`--days must be an integer from 1 to ${CA_VALIDITY_DAYS}`);

  let commonName: string;
  let names: x509.JsonGeneralNames;
  let usage: string;
  let baseName: string;
  if (request.kind === 'server') {
    const ips = [...(request.ips ?? [])];
    const dns = [...(request.dns ?? [])];
    // A name that is an address goes in as an IP SAN: TLS clients check IP SANs for addresses.
    if (net.isIP(request.name)) ips.unshift(request.name); else dns.unshift(request.name);
    for (const ip of ips) if (!net.isIP(ip)) throw new PkiError(`--ip ${JSON.stringify(ip)} is not an IP address`);
    for (const name of dns) if (!dnsNamePattern.test(name) || name.length > 253) throw new PkiError(`${JSON.stringify(name)} is not a DNS name (use --ip for addresses)`);
    commonName = request.name;
    names = [
      ...[...new Set(dns)].map((value) => ({ type: 'dns' as const, value })),
      ...[...new Set(ips)].map((value) => ({ type: 'ip' as const, value })),
    ];
    usage = x509.ExtendedKeyUsage.serverAuth;
    baseName = request.name;
  } else {
    for (const [option, value] of [['--site', request.site], ['--id', request.gateway]] as const) {
      if (!idSchema.safeParse(value).success) throw new PkiError(`${option} ${JSON.stringify(value)}: must be lowercase [a-z0-9-], 1 to 64 characters (as in the topics)`);
    }
    const identity = gatewayIdentity(request.site, request.gateway);
    commonName = identity.commonName;
    names = [{ type: 'url', value: identity.uri }];
    usage = x509.ExtendedKeyUsage.clientAuth;
    baseName = `gateway-${request.site}-${request.gateway}`;
  }
  if (options.outName !== undefined && !/^[A-Za-z0-9._-]{1,128}$/.test(options.outName)) throw new PkiError('--out must be a file base name ([A-Za-z0-9._-])');
  baseName = options.outName ?? baseName;
  const certFile = path.join(options.dir, `${baseName}.crt`);
  const keyFile = path.join(options.dir, `${baseName}.key`);
  for (const file of [certFile, keyFile]) {
    if (fs.existsSync(file)) throw new PkiError(`${file} exists already: refusing to overwrite it (move it away, or choose --out)`);
  }

  const ca = await loadCa(options.dir);
  const notBefore = new Date((options.now ?? new Date()).getTime() - 5 * 60_000);
  const caEnd = ca.cert.notAfter.getTime();
  if (caEnd <= notBefore.getTime()) throw new PkiError(`the site CA expired on ${ca.cert.notAfter.toISOString()}`);
  const notAfter = new Date(Math.min(notBefore.getTime() + days * DAY_MS, caEnd));
  const keys = await generateKeys(keyType);
  const keyUsage = keyType === 'rsa'
    ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment
    : x509.KeyUsageFlags.digitalSignature;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: [{ CN: [commonName] }, { OU: [request.kind] }],
    issuer: ca.cert.subject,
    notBefore, notAfter,
    publicKey: keys.publicKey,
    signingKey: ca.key,
    signingAlgorithm: ca.keyType === 'ec' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(keyUsage, true),
      new x509.ExtendedKeyUsageExtension([usage], false),
      new x509.SubjectAlternativeNameExtension(names, false),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert, false),
    ],
  });
  const pem = cert.toString('pem');
  writeNew(keyFile, await privateKeyPem(keys.privateKey), 0o600);
  writeNew(certFile, `${pem}\n`, 0o644);
  const node = new NodeX509Certificate(pem);
  return { certFile, keyFile, subject: cert.subject, subjectAltName: node.subjectAltName ?? '', notAfter, fingerprint: node.fingerprint256 };
}

export { describeKeyType };
