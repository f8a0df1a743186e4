// Child process of part (b): one gateway (startGateway, as `shaobing gateway` runs it) polling
// the simulated devices and publishing to the runner's broker, so /proc shows the gateway's own
// CPU and memory. Settings: { brokerUrl, ports, points, pollIntervalMs, dataDir? }.
import { startGateway } from '../../gateway/gateway.js';
import { silentLogger } from '../../lib/logger.js';
import { benchProfile } from './bench-profile.js';
import { reply, type ToChild } from './child-rpc.js';

interface Settings {
  brokerUrl: string;
  ports: number[];
  points: number;
  pollIntervalMs: number;
  dataDir?: string;
}

export interface GatewayChildStats {
  pollsOk: number;
  pollsFailed: number;
  messagesPublished: number;
  lastSeq: number;
}

const settings = JSON.parse(process.argv[2] ?? '{}') as Settings;
const profile = benchProfile(settings.points);
try {
  const gateway = await startGateway(
    {
      site: 'bench',
      gateway: 'gw-bench',
      mqtt: { url: settings.brokerUrl, username: 'gw-bench', password: 'bench-only-password' },
      ...(settings.dataDir ? { dataDir: settings.dataDir } : {}),
      devices: settings.ports.map((port, i) => ({
        id: `meter-${i + 1}`,
        profile: profile.name,
        transport: { kind: 'tcp' as const, host: '127.0.0.1', port },
        unit: 1,
        pollIntervalMs: settings.pollIntervalMs,
        timeoutMs: 1000,
      })),
    },
    { logger: silentLogger(), profiles: new Map([[profile.name, profile]]) },
  );
  reply({ type: 'ready', data: { pid: process.pid } });
  process.on('message', (message: ToChild) => {
    if (message.type === 'stats') {
      const stats = gateway.stats;
      const devices = Object.values(stats.devices);
      const data: GatewayChildStats = {
        pollsOk: devices.reduce((sum, d) => sum + d.pollsOk, 0),
        pollsFailed: devices.reduce((sum, d) => sum + d.pollsFailed, 0),
        messagesPublished: stats.messagesPublished,
        lastSeq: stats.lastSeq,
      };
      reply({ type: 'stats', data });
    } else if (message.type === 'stop') {
      void gateway.stop().then(() => process.exit(0));
    }
  });
} catch (err) {
  reply({ type: 'error', message: (err as Error).stack ?? String(err) });
  process.exit(1);
}
