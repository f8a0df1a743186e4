// `shaobing gateway --config gw.yaml`: one gateway process until SIGINT/SIGTERM.
import { loadGatewaySettings, startGateway } from '../gateway/index.js';
import { createLogger } from '../lib/logger.js';
import { untilSignal } from './services.js';

export async function runGateway(file: string): Promise<void> {
  const settings = await loadGatewaySettings(file);
  const logger = createLogger('shaobing-gateway');
  const gateway = await startGateway(settings, { logger });
  const signal = await untilSignal();
  logger.info({ signal }, 'stopping');
  await gateway.stop();
}
