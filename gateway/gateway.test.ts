// startGateway on its own: bad configuration stops the start; with the uplink down it keeps
// polling and still stops promptly. (With a broker: test/gateway-sim.test.ts.)
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/logger.js';
import { freePort } from '../lib/net.js';
import { waitFor } from '../lib/wait.js';
import { startModbusSimulator } from '../simulators/modbus/index.js';
import { startGateway } from './gateway.js';
import { defaultProfilesDir, loadProfileLibrary } from './profile.js';

const base = (brokerPort: number, devicePort: number) => ({
  site: 'tj-test',
  gateway: 'gw-alone',
  mqtt: { url: `mqtt://127.0.0.1:${brokerPort}`, username: 'gw-alone', password: 'test-only-password', reconnectPeriodMs: 100 },
  devices: [{ id: 'th-1', profile: 'th-transmitter', transport: { kind: 'tcp' as const, host: '127.0.0.1', port: devicePort }, unit: 1, pollIntervalMs: 100, timeoutMs: 300 }],
});

describe('startGateway', () => {
  it('refuses to start with a device whose profile does not exist, naming both', async () => {
    const config = base(1883, 502);
    config.devices[0]!.profile = 'th-transmiter';
    await expect(startGateway(config, { logger: silentLogger() })).rejects.toThrow(/devices\.0 \(th-1\): unknown profile "th-transmiter" \(known in .*device-profiles: .*th-transmitter.*\)/);
  });

  it('refuses an invalid configuration, naming the setting', async () => {
    await expect(startGateway({ ...base(1883, 502), statusIntervalMs: -1 }, { logger: silentLogger() })).rejects.toThrow(/statusIntervalMs/);
  });

  it('keeps polling with the uplink down, and stops promptly', async () => {
    const profiles = await loadProfileLibrary(defaultProfilesDir());
    const sim = await startModbusSimulator({ profile: profiles.get('th-transmitter')! });
    const noBroker = await freePort(); // nothing listens there
    const gateway = await startGateway(base(noBroker, sim.port), { logger: silentLogger(), profiles });
    try {
      await waitFor(() => gateway.stats.devices['th-1']!.pollsOk >= 3, { what: 'three polls' });
      expect(gateway.stats.mqttConnected).toBe(false);
      expect(gateway.stats.devices['th-1']!.online).toBe(true);
      expect(gateway.stats.lastSeq).toBeGreaterThanOrEqual(3);
    } finally {
      const started = performance.now();
      await gateway.stop();
      await gateway.stop(); // idempotent
      expect(performance.now() - started).toBeLessThan(3000);
      await sim.close();
    }
  });
});
