// `shaobing gateway --config gw.yaml`: one gateway process until SIGINT/SIGTERM. A gateway
// process always keeps its outbox and applied remote config on disk: `dataDir` from the file,
// else `{SB_DATA_DIR or ./data}/gateway-{site}-{gateway}`.
import path from 'node:path';
import { loadGatewaySettings, startGateway, type GatewaySettings } from '../gateway/index.js';
import { createLogger } from '../lib/logger.js';
import { untilSignal } from './services.js';

export function gatewayDataDir(settings: Pick<GatewaySettings, 'dataDir' | 'site' | 'gateway'>, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(settings.dataDir ?? path.join(env.SB_DATA_DIR ?? 'data', `gateway-${settings.site}-${settings.gateway}`));
}

export async function runGateway(file: string): Promise<void> {
  const loaded = await loadGatewaySettings(file);
  const settings = { ...loaded, dataDir: gatewayDataDir(loaded) };
  const logger = createLogger('shaobing-gateway');
  const gateway = await startGateway(settings, { logger });
  const signal = await untilSignal();
  logger.info({ signal }, 'stopping');
  await gateway.stop();
}
