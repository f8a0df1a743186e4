// `shaobing sim modbus`: serve one device profile over Modbus TCP.
import { defaultProfilesDir, loadProfileLibrary } from '../gateway/index.js';
import { createLogger } from '../lib/logger.js';
import { startModbusSimulator } from '../simulators/modbus/index.js';
import { untilSignal } from './services.js';

export async function runModbusSimulator(opts: { profile: string; port: number; host: string; unit: number; seed: number }): Promise<void> {
  const profiles = await loadProfileLibrary(defaultProfilesDir());
  const profile = profiles.get(opts.profile);
  if (!profile) throw new Error(`unknown profile "${opts.profile}"; known: ${[...profiles.keys()].sort().join(', ')}`);
  const simulator = await startModbusSimulator({ profile, host: opts.host, port: opts.port, unitId: opts.unit, seed: opts.seed, logger: createLogger('shaobing-sim') });
  console.log(`simulating ${profile.name} (${profile.manufacturer} ${profile.model}) on modbus tcp://${simulator.host}:${simulator.port}, unit ${simulator.unitId}, seed ${simulator.seed}`);
  for (const point of profile.points) console.log(`  ${point.table.padEnd(8)} ${String(point.address).padStart(5)}  ${point.name} [${point.unit ?? ''}]`);
  await untilSignal();
  await simulator.close();
}
