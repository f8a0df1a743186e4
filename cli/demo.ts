// `shaobing demo`: the whole system on one machine with simulated sites, for a
// laptop or a training room. Service logs go to a file so the terminal stays readable.
import fs from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { loadBaselinesFile } from '../api/ecology/baselines.js';
import { findPackageRoot } from '../gateway/index.js';
import { createLogger } from '../lib/logger.js';
import { ROLES } from '../api/auth.js';
import { apiRateLimits, type BackendConfig } from './backend-config.js';
import { untilSignal } from './services.js';
import { DEMO_SITES, startSystem } from './system.js';

export async function runDemo(config: BackendConfig): Promise<void> {
  const dataDir = path.resolve(config.dataDir, 'demo');
  fs.mkdirSync(dataDir, { recursive: true });
  const logFile = path.join(dataDir, 'shaobing.log');
  // Redacting like every service logger: the file may be shared when asking for help.
  const fileLogger = createLogger('shaobing-demo', {}, pino.destination({ dest: logFile, sync: false }));

  const store = config.store.kind === 'sqlite'
    ? { ...config.store, path: process.env.SB_SQLITE_PATH ?? path.join(dataDir, 'shaobing.db') }
    : config.store;
  console.log(`Shaobing demo: starting broker, ingest, api and ${DEMO_SITES.length} simulated sites on the ${store.kind === 'sqlite' ? `embedded SQLite store (${store.path})` : `InfluxDB store at ${store.url}`} …`);

  const system = await startSystem({
    store, dataDir, logger: fileLogger, apiPort: config.api.port, brokerPort: 0,
    apiTokens: config.api.tokens, anonymousRole: config.api.anonymousRole, commandTimeoutMs: config.api.commandTimeoutMs, carbon: config.carbon,
    rateLimits: apiRateLimits(config),
    // The example rules carry Jiejinkou's (example) warning and guarantee levels.
    alarmRulesFile: config.alarms.rulesFile ?? path.join(findPackageRoot(), 'config', 'alarm-rules.example.yaml'),
    ecologyBaselines: config.ecology.baselinesFile ? loadBaselinesFile(config.ecology.baselinesFile) : undefined,
  });
  const devices = DEMO_SITES.flatMap((s) => s.devices.map((d) => `${s.site}/${s.gateway}/${d.id} (${d.profile})`));
  const cameras = system.sites.flatMap((s) => [...s.cameras].map(([id, sim]) => `${s.spec.site}/${s.spec.gateway}/${id} "${sim.name}" at ${sim.xaddr}`));
  console.log([
    '',
    `  API          ${system.apiUrl}`,
    `  API docs     ${system.apiUrl}/docs`,
    `  MQTT broker  ${system.brokerUrl} (demo accounts only, made up for this run)`,
    `  Logs         ${logFile}`,
    `  API tokens   made up for this run; without a token you are ${config.api.anonymousRole === 'none' ? 'refused' : `a ${config.api.anonymousRole}`}`,
    ...ROLES.map((role) => `    ${`${role}:`.padEnd(12)} ${system.apiTokens[role]}`),
    `  Devices      ${devices.join('\n               ')}`,
    `  Cameras      ${cameras.join('\n               ')}`,
    '',
    'Try:',
    `  curl -s '${system.apiUrl}/v1/readings/latest?site=jiejinkou'`,
    `  curl -s '${system.apiUrl}/v1/readings/history?site=tongjiang-town&device=th-1&field=temperature&from=-10m&window=1m'`,
    `  curl -s '${system.apiUrl}/v1/gateways'`,
    `  curl -s '${system.apiUrl}/v1/cameras'`,
    `  curl -s '${system.apiUrl}/v1/alarms'`,
    `  curl -sN '${system.apiUrl}/v1/live?site=jiejinkou'`,
    `  curl -s '${system.apiUrl}/v1/ecology/aqi?site=tongjiang-town'`,
    `  curl -s '${system.apiUrl}/v1/carbon/emissions?site=tongjiang-town&from=-2d'`,
    `  curl -s -o latest.jpg '${system.apiUrl}/v1/cameras/jiejinkou/gw-01/cam-1/snapshots/latest'`,
    `  curl -s -X POST -H 'Authorization: Bearer ${system.apiTokens.emergency}' -H 'Content-Type: application/json' -d '{"reason":"demo"}' '${system.apiUrl}/v1/cameras/tongjiang-town/gw-01/cam-1/capture'`,
    '',
    'Ctrl-C stops everything.',
  ].join('\n'));

  await untilSignal();
  console.log('stopping …');
  await system.close();
  fileLogger.flush();
}
