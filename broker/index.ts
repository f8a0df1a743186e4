// The broker's public surface, for the CLI (`shaobing broker`) and the demo.
export { startBroker, DEFAULT_MAX_PACKET_SIZE, DEFAULT_BROKER_LIMITS, type BrokerLimits, type BrokerOptions, type BrokerStats, type RunningBroker } from './server.js';
export {
  AccountStore,
  AccountsFileError,
  formatAccounts,
  loadAccounts,
  parseAccounts,
  hashPassword,
  verifyPassword,
  isPasswordHash,
  DEFAULT_SCRYPT_PARAMS,
  type Account,
  type AccountChanges,
  type AccountDirectory,
  type AccountRole,
  type GatewayAccount,
  type ServiceAccount,
  type ServiceRole,
  type ScryptParams,
} from './accounts.js';
export { checkAccess, parseTopicFilter, PERMISSIONS, type AclAction, type AclDecision, type AclSubject, type TopicKind } from './acl.js';
export type { CredentialVerifierOptions } from './credential-verifier.js';
export type { AuthFailureReason, BrokerCountersSnapshot } from './counters.js';
