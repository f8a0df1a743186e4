// The only module the gateway and the backend share: topics and message schemas (v1).
export * from './topics.js';
export * from './schemas.js';
export * from './decode.js';
export * from './snapshot.js';
