// The aedes hooks that enforce accounts and topic ACLs: authenticate each CONNECT
// (bind a TLS client certificate to the account, check its will), then authorize
// every PUBLISH and SUBSCRIBE against the account the client authenticated as. Every
// refusal is counted and logged (username, client, topic, reason; never the password).
import type { AedesOptions, Client, ConnectPacket } from 'aedes';
import type { Logger } from '../lib/logger.js';
import type { Account, AccountDirectory } from './accounts.js';
import { checkAccess } from './acl.js';
import { decideCertificateBinding, describeAccount, describeIdentity, gatewayIdentityOf, type BindingPolicy, type CertificateRefusal, type PeerCertificateFacts } from './client-certificate.js';
import type { AuthFailureReason, BrokerCounters } from './counters.js';
import type { CredentialVerifier } from './credential-verifier.js';

// CONNACK return codes of MQTT 3.1.1 (aedes' AuthErrorCode is a const enum, which
// esbuild-based tools cannot inline from a .d.ts).
const SERVER_UNAVAILABLE = 3;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

type Will = NonNullable<ConnectPacket['will']>;

type Admission =
  | { admitted: true; account: Account }
  | { admitted: false; reason: AuthFailureReason; returnCode: number; detail?: string; certificate?: CertificateMismatch }
  | { admitted: false; reason: 'gone' };

/** Both identities of a certificate refusal, for the log line. */
interface CertificateMismatch {
  cause: CertificateRefusal;
  account: string;
  certificate: string;
}

export interface AccessHooks {
  preConnect: NonNullable<AedesOptions['preConnect']>;
  authenticate: NonNullable<AedesOptions['authenticate']>;
  authorizePublish: NonNullable<AedesOptions['authorizePublish']>;
  authorizeSubscribe: NonNullable<AedesOptions['authorizeSubscribe']>;
  /** The account a connected client authenticated as. */
  accountOf(client: Client): Account | undefined;
}

export interface AccessHooksOptions {
  accounts: AccountDirectory;
  verifier: CredentialVerifier;
  counters: BrokerCounters;
  logger: Logger;
  /**
   * Refused subscriptions one connection may collect; the next one ends it. A
   * gateway asks for its own two topics: a client that keeps probing others' is
   * scanning, and keeps a broker thread busy for nothing.
   */
  maxDeniedSubscribes?: number;
  /**
   * The client certificate of a TLS connection (read at the end of its handshake);
   * undefined for plain MQTT. Without it no certificate is ever bound.
   */
  peerCertificateOf?: (client: Client) => PeerCertificateFacts | undefined;
  /** How strictly a certificate is bound to the account (client-certificate.ts). */
  certificatePolicy?: BindingPolicy;
}

/** Errors the hooks raise to end a client on purpose: not protocol errors (server.ts counts those). */
export class AccessRefusal extends Error {
  override readonly name = 'AccessRefusal';
}

function remoteAddressOf(client: Client): string | undefined {
  return (client.conn as { remoteAddress?: string }).remoteAddress;
}

/**
 * Client ids are namespaced by username (`gw-7:their-id`) inside the broker. MQTT
 * lets a new CONNECT with an existing client id take over that session; without
 * the namespace any account could knock another gateway offline (firing its
 * `offline` will) or resume its persistent session. aedes sets client.id just
 * before authenticate runs and keys sessions, wills and takeovers by it afterwards.
 */
function namespaceClientId(client: Client, username: string): void {
  (client as { id: string }).id = `${username}:${client.id}`;
}

export function createAccessHooks({ accounts, verifier, counters, logger, maxDeniedSubscribes = 10, peerCertificateOf = () => undefined, certificatePolicy = { gatewayIdentityRequired: false } }: AccessHooksOptions): AccessHooks {
  const accountByClient = new WeakMap<Client, Account>();
  const deniedSubscribesByClient = new WeakMap<Client, number>();
  const willByClient = new WeakMap<Client, Will>();

  async function admit(client: Client, username: string | undefined, password: Buffer | undefined): Promise<Admission> {
    if (username === undefined || username === '') return { admitted: false, reason: 'anonymous', returnCode: NOT_AUTHORIZED };
    if (password === undefined || password.length === 0) return { admitted: false, reason: 'no-password', returnCode: BAD_USERNAME_OR_PASSWORD };

    let account: Account | undefined;
    try {
      account = await accounts.find(username);
    } catch (err) {
      logger.error({ err, username }, 'account lookup failed');
      return { admitted: false, reason: 'directory-error', returnCode: SERVER_UNAVAILABLE };
    }
    // No scrypt for unknown names: usernames are not secret (they name sites and
    // gateways), and hashing for every made-up name would hand out free CPU burns.
    if (account === undefined) return { admitted: false, reason: 'unknown-user', returnCode: BAD_USERNAME_OR_PASSWORD };

    // Before the password: a certificate that names someone else settles it without a scrypt
    // run, and its holder learns nothing about the password it tried.
    const identity = gatewayIdentityOf(peerCertificateOf(client));
    const binding = decideCertificateBinding(account, identity, certificatePolicy);
    if (!binding.allowed) {
      return {
        admitted: false, reason: 'certificate-mismatch', returnCode: NOT_AUTHORIZED, detail: binding.detail,
        certificate: { cause: binding.cause, account: describeAccount(account), certificate: describeIdentity(identity) },
      };
    }

    let outcome;
    try {
      outcome = await verifier.verify(account.username, account.passwordHash, password, () => !client.closed);
    } catch (err) {
      logger.error({ err, username }, 'password check failed: is the stored hash valid?');
      return { admitted: false, reason: 'directory-error', returnCode: SERVER_UNAVAILABLE };
    }
    if (outcome === 'abandoned') return { admitted: false, reason: 'gone' };
    if (outcome === 'busy') return { admitted: false, reason: 'busy', returnCode: SERVER_UNAVAILABLE };
    if (outcome === 'invalid') return { admitted: false, reason: 'bad-password', returnCode: BAD_USERNAME_OR_PASSWORD };

    // A will the ACL would refuse at disconnect time would vanish silently then;
    // refusing the CONNECT tells a misconfigured gateway now.
    const will = willByClient.get(client);
    if (will !== undefined) {
      const decision = checkAccess(account, 'publish', will.topic, { retain: will.retain });
      if (!decision.allowed) return { admitted: false, reason: 'will-denied', returnCode: NOT_AUTHORIZED, detail: `will ${will.topic}: ${decision.reason}` };
    }
    return { admitted: true, account };
  }

  const preConnect: AccessHooks['preConnect'] = (client, packet, callback) => {
    // authenticate does not get the CONNECT packet: keep its will for the check there.
    if (packet.will) willByClient.set(client, packet.will);
    callback(null, true);
  };

  const authenticate: AccessHooks['authenticate'] = (client, username, password, done) => {
    const clientId = client.id;
    admit(client, username, password).then((admission) => {
      willByClient.delete(client);
      if (admission.admitted) {
        accountByClient.set(client, admission.account);
        namespaceClientId(client, admission.account.username);
        done(null, true);
        return;
      }
      if (admission.reason === 'gone') {
        // Nobody to answer: aedes drops the result for a closed client.
        done(Object.assign(new Error('client left during authentication'), { returnCode: SERVER_UNAVAILABLE }), false);
        return;
      }
      counters.authFailuresTotal++;
      counters.authFailuresByReason[admission.reason]++;
      if (admission.certificate) counters.certificateRefusalsByCause[admission.certificate.cause]++;
      logger.warn({ username, clientId, remoteAddress: remoteAddressOf(client), reason: admission.reason, detail: admission.detail, ...(admission.certificate ? { certificateRefusal: admission.certificate } : {}) }, 'connection refused');
      done(Object.assign(new Error(`connection refused: ${admission.reason}`), { returnCode: admission.returnCode }), false);
    }, (err: unknown) => {
      logger.error({ err, username, clientId }, 'authentication failed unexpectedly');
      done(Object.assign(new Error('authentication failed'), { returnCode: SERVER_UNAVAILABLE }), false);
    });
  };

  const authorizePublish: AccessHooks['authorizePublish'] = (client, packet, callback) => {
    // aedes passes no client only when it republishes a will left by a client it no
    // longer holds (a shared persistence after a broker crash): that will passed
    // the ACL when its CONNECT was accepted.
    if (client === null) return callback(null);
    const account = accountByClient.get(client);
    const decision = account === undefined
      ? { allowed: false as const, reason: 'not authenticated' }
      : checkAccess(account, 'publish', packet.topic, { retain: packet.retain });
    if (decision.allowed) return callback(null);
    counters.publishDeniedTotal++;
    logger.warn({ username: account?.username, clientId: client.id, topic: packet.topic, retain: packet.retain, reason: decision.reason }, 'publish denied');
    // MQTT 3.1.1 has no way to refuse one PUBLISH: aedes closes the connection.
    callback(new AccessRefusal(`publish to ${packet.topic} denied: ${decision.reason}`));
  };

  const authorizeSubscribe: AccessHooks['authorizeSubscribe'] = (client, subscription, callback) => {
    const account = accountByClient.get(client);
    const decision = account === undefined
      ? { allowed: false as const, reason: 'not authenticated' }
      : checkAccess(account, 'subscribe', subscription.topic);
    if (decision.allowed) return callback(null, subscription);
    counters.subscribeDeniedTotal++;
    logger.warn({ username: account?.username, clientId: client.id, topic: subscription.topic, reason: decision.reason }, 'subscribe denied');
    const denied = (deniedSubscribesByClient.get(client) ?? 0) + 1;
    deniedSubscribesByClient.set(client, denied);
    if (denied > maxDeniedSubscribes) {
      counters.subscribeAbuseDisconnectsTotal++;
      logger.warn({ username: account?.username, clientId: client.id, remoteAddress: remoteAddressOf(client), denied }, 'too many refused subscriptions: client disconnected');
      // An error here makes aedes end this client's connection (and only this one).
      return callback(new AccessRefusal(`${denied} subscriptions refused`), null);
    }
    // A null subscription makes aedes answer 0x80 (failure) for this filter only.
    callback(null, null);
  };

  return {
    preConnect,
    authenticate,
    authorizePublish,
    authorizeSubscribe,
    accountOf: (client) => accountByClient.get(client),
  };
}
