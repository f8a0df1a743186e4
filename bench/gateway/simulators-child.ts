// Child process of part (b): the simulated devices, one Modbus TCP endpoint each, so their
// CPU is not the gateway's. Settings: { devices, points }.
import { startModbusSimulator, type ModbusSimulator } from '../../simulators/modbus/index.js';
import { benchProfile } from './bench-profile.js';
import { reply, type ToChild } from './child-rpc.js';

const settings = JSON.parse(process.argv[2] ?? '{}') as { devices: number; points: number };
const profile = benchProfile(settings.points);
const simulators: ModbusSimulator[] = [];
try {
  for (let i = 0; i < settings.devices; i++) simulators.push(await startModbusSimulator({ profile, unitId: 1, seed: i + 1 }));
  reply({ type: 'ready', data: simulators.map((s) => s.port) });
} catch (err) {
  reply({ type: 'error', message: (err as Error).message });
  process.exit(1);
}
process.on('message', (message: ToChild) => {
  if (message.type === 'stop') {
    void Promise.all(simulators.map((s) => s.close())).then(() => process.exit(0));
  }
});
