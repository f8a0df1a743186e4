// `shaobing pki init|issue`: the site PKI (cli/pki.ts) with readable output: what was made,
// where the files are, and where each file goes.
import { describeKeyType, issueCertificate, initSiteCa, PkiError, type IssueRequest, type KeyType } from './pki.js';

export interface PkiInitOptions { dir: string; name: string; keyType: KeyType }
export interface PkiIssueOptions {
  dir: string;
  server?: boolean;
  gateway?: boolean;
  name?: string;
  dns: string[];
  ip: string[];
  site?: string;
  id?: string;
  keyType: KeyType;
  days?: number;
  out?: string;
}

const day = (date: Date) => date.toISOString().slice(0, 10);

export async function runPkiInit(opts: PkiInitOptions, print: (line: string) => void = console.log): Promise<void> {
  const ca = await initSiteCa({ dir: opts.dir, name: opts.name, keyType: opts.keyType });
  print(`Site CA "${opts.name}" created (${describeKeyType(ca.keyType)}, valid until ${day(ca.notAfter)})`);
  print(`  certificate: ${ca.certFile}`);
  print('               copy it to every gateway and service: mqtt.caFile, broker.tls.ca (mutual TLS)');
  print(`  private key: ${ca.keyFile}`);
  print('               mode 0600; it signs every certificate of the site: keep it off the network, back it up offline');
  print(`  SHA-256 fingerprint: ${ca.fingerprint}`);
  print(`Next: shaobing pki issue --dir ${opts.dir} --server --name <broker host name> --ip <broker address>`);
}

export async function runPkiIssue(opts: PkiIssueOptions, print: (line: string) => void = console.log): Promise<void> {
  if (opts.server === opts.gateway) throw new PkiError('choose one of --server (broker or API) and --gateway (a gateway\'s client certificate)');
  let request: IssueRequest;
  if (opts.server) {
    if (!opts.name) throw new PkiError('--server needs --name <host name or address> (how clients reach the server)');
    request = { kind: 'server', name: opts.name, dns: opts.dns, ips: opts.ip };
  } else {
    if (!opts.site || !opts.id) throw new PkiError('--gateway needs --site <site> and --id <gateway>');
    request = { kind: 'gateway', site: opts.site, gateway: opts.id };
  }
  const issued = await issueCertificate({
    dir: opts.dir, request, keyType: opts.keyType,
    ...(opts.days !== undefined ? { days: opts.days } : {}), ...(opts.out !== undefined ? { outName: opts.out } : {}),
  });
  print(`${request.kind === 'server' ? 'Server' : 'Gateway'} certificate issued (${describeKeyType(opts.keyType)}, valid until ${day(issued.notAfter)})`);
  print(`  subject:     ${issued.subject}`);
  print(`  names:       ${issued.subjectAltName}`);
  print(`  certificate: ${issued.certFile}`);
  print(`  private key: ${issued.keyFile} (mode 0600)`);
  print(`  SHA-256 fingerprint: ${issued.fingerprint}`);
  if (request.kind === 'server') {
    print('Use it as broker.tls.cert/key (SB_BROKER_TLS_CERT, SB_BROKER_TLS_KEY) or api.tls.cert/key (SB_API_TLS_CERT, SB_API_TLS_KEY).');
  } else {
    print('Copy both to the gateway; in its config: mqtt.url mqtts://<broker>:8883, mqtt.caFile <ca.crt>, mqtt.certFile, mqtt.keyFile.');
  }
}
