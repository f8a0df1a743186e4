// The `shaobing` command: every part of the system runs from here.
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError } from '../lib/config.js';
import { loadBackendConfig } from './backend-config.js';

function integer(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    return n;
  };
}

const program = new Command('shaobing')
  .description('Shaobing (哨兵): edge sensing gateway and telemetry backend')
  .showHelpAfterError();

program.command('demo')
  .description('run broker, ingest, api and simulated sites on this machine (embedded SQLite unless SB_STORE=influx)')
  .option('-c, --config <file>', 'backend configuration file (YAML/JSON)')
  .action(async (opts: { config?: string }) => {
    const { runDemo } = await import('./demo.js');
    await runDemo(loadBackendConfig(opts.config));
  });

for (const [name, description] of [
  ['broker', 'run the MQTT broker (Aedes) with account authentication and topic ACLs'],
  ['ingest', 'run the ingest service: telemetry from the broker into the store'],
  ['api', 'run the HTTP API'],
] as const) {
  program.command(name)
    .description(description)
    .option('-c, --config <file>', 'backend configuration file (YAML/JSON); SB_* variables override it')
    .action(async (opts: { config?: string }) => {
      const config = loadBackendConfig(opts.config);
      const services = await import('./services.js');
      await { broker: services.runBroker, ingest: services.runIngest, api: services.runApi }[name](config);
    });
}

program.command('gateway')
  .description('run a gateway: poll Modbus devices and publish to the broker')
  .requiredOption('-c, --config <file>', 'gateway configuration file (YAML)')
  .action(async (opts: { config: string }) => {
    const { runGateway } = await import('./gateway-command.js');
    await runGateway(opts.config);
  });

program.command('hash-password')
  .description('print the scrypt hash of a password read from standard input, for the broker accounts file')
  .action(async () => {
    const { hashPassword } = await import('../broker/index.js');
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    const password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
    if (password.length < 12) throw new InvalidArgumentError('refusing a password shorter than 12 characters');
    console.log(await hashPassword(password));
  });

const sim = program.command('sim').description('device simulators');
sim.command('modbus')
  .description('serve a device profile over Modbus TCP with plausible, deterministic values')
  .requiredOption('-p, --profile <name>', 'profile name from device-profiles/')
  .option('--port <port>', 'TCP port (0 = any free port)', integer('port', 0, 65535), 5020)
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--unit <id>', 'Modbus unit id answered (0 = every id)', integer('unit', 0, 247), 1)
  .option('--seed <n>', 'seed of the value model', integer('seed', 0, 2 ** 31), 1)
  .action(async (opts: { profile: string; port: number; host: string; unit: number; seed: number }) => {
    const { runModbusSimulator } = await import('./sim-command.js');
    await runModbusSimulator(opts);
  });

function describeFailure(err: unknown): string {
  if (err instanceof ConfigError || err instanceof InvalidArgumentError) return err.message;
  const { code, port } = err as { code?: string; port?: number };
  if (code === 'EADDRINUSE') return `port ${port ?? ''} is already in use: stop what holds it or choose another port (e.g. SB_API_PORT, SB_BROKER_PORT, --port)`;
  return (err as Error)?.stack ?? String(err);
}

program.parseAsync().catch((err: unknown) => {
  const message = describeFailure(err);
  console.error(`shaobing: ${message}`);
  process.exit(1);
});
