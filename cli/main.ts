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

program.command('hash-token')
  .description('print the SHA-256 of an API token read from standard input, for api.tokens or the API tokens file')
  .action(async () => {
    const { hashToken } = await import('../api/auth.js');
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    const token = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
    if (token.length < 24) throw new InvalidArgumentError('refusing a token shorter than 24 characters: make one with `shaobing new-token`');
    console.log(hashToken(token));
  });

program.command('new-token')
  .description('make a random API token: prints the token once (give it to its holder) and the entry for the API tokens file')
  .requiredOption('--name <name>', 'who holds it, e.g. duty-officer or dashboard (shown in 403 messages and logs)')
  .option('--role <role>', 'viewer (read), emergency (also camera streams, PTZ, capture, alarm acknowledgement), technician (read, provisioning, configuration) or admin (everything)', 'viewer')
  .action(async (opts: { name: string; role: string }) => {
    const { ROLES, generateToken, hashToken } = await import('../api/auth.js');
    if (!(ROLES as readonly string[]).includes(opts.role)) throw new InvalidArgumentError(`role must be one of ${ROLES.join(', ')}`);
    const token = generateToken();
    console.log(`token: ${token}`);
    console.log(`tokens file entry:\n  - { name: ${JSON.stringify(opts.name)}, role: ${opts.role}, sha256: ${hashToken(token)} }`);
  });

const provision = program.command('provision').description('bring new equipment online through the API registry');
provision.command('gateway')
  .description('create a gateway and its broker credentials through the API, and write its ready config file (mode 0600)')
  .requiredOption('--site <site>', 'site id (must exist in the registry)')
  .requiredOption('--id <gateway>', 'new gateway id, e.g. gw-02')
  .requiredOption('--api <url>', 'the API, e.g. https://api.example:8080')
  .option('--token <token>', 'technician or admin API token (better: SB_API_TOKEN, which keeps it out of the shell history)')
  .option('--broker-url <url>', 'broker address the gateway uses (default: the one the API advertises)')
  .option('--out <file>', 'config file to write (default <site>-<id>.yaml)')
  .option('--data-dir <dir>', "the gateway's local state directory (default next to the file)")
  .option('--description <text>', 'where the box is, for the registry')
  .option('--force', 'overwrite an existing config file')
  .action(async (opts: import('./provision-command.js').ProvisionGatewayOptions) => {
    const { provisionGateway, ProvisionError } = await import('./provision-command.js');
    try {
      console.log(await provisionGateway(opts));
    } catch (err) {
      if (!(err instanceof ProvisionError)) throw err;
      console.error(`shaobing provision gateway: ${err.message}`);
      process.exitCode = err.exitCode;
    }
  });

const sim = program.command('sim').description('device simulators');
const collect = (value: string, previous: string[]) => [...previous, value];
sim.command('modbus')
  .description('simulate Modbus devices from their profiles (plausible, deterministic values; faults on demand): over Modbus TCP, RTU framing over TCP, or RTU on a serial line')
  .option('-p, --profile <name>', 'profile name from device-profiles/ (one device; see --unit)')
  .option('--unit <id>', 'unit id of --profile (0 = answer every id)', integer('unit', 0, 247), 1)
  .option('--device <profile:unit>', 'a device on the simulated bus, e.g. th-transmitter:1 (repeat for a whole RS-485 line)', collect, [])
  .option('--port <port>', 'TCP port (0 = any free port)', integer('port', 0, 65535), 5020)
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--rtu-over-tcp', 'speak RTU frames (with CRC) on the TCP port, as a transparent serial server does')
  .option('--serial <path>', 'serve Modbus RTU on this serial device (e.g. one end of a socat pty pair, or a USB RS-485 adapter)')
  .option('--pty', 'make a virtual serial cable with socat, serve on one end and print the other for the gateway')
  .option('--baud <rate>', 'serial baud rate', integer('baud', 300, 921600), 9600)
  .option('--parity <parity>', 'serial parity: none, even or odd', (v: string) => {
    if (v !== 'none' && v !== 'even' && v !== 'odd') throw new InvalidArgumentError('parity must be none, even or odd');
    return v;
  }, 'none')
  .option('--data-bits <n>', 'serial data bits (7 or 8)', integer('data-bits', 7, 8), 8)
  .option('--stop-bits <n>', 'serial stop bits (1 or 2)', integer('stop-bits', 1, 2), 1)
  .option('--fault <unit:kind>', 'a fault from the start: UNIT:silent | UNIT:slow:MS | UNIT:exception:CODE | UNIT:garble (repeatable)', collect, [])
  .option('--seed <n>', 'seed of the value model (device i gets seed + i)', integer('seed', 0, 2 ** 31), 1)
  .action(async (opts: import('./sim-command.js').SimOptions) => {
    const { runModbusSimulator } = await import('./sim-command.js');
    await runModbusSimulator(opts);
  });

sim.command('camera')
  .description('simulate ONVIF (Sharp Eyes) cameras: device/media/PTZ/event services, a Digest-protected JPEG snapshot, WS-Discovery, faults on demand')
  .option('--port <port>', 'HTTP port of the first camera (the next ones count up; 0 = any free port)', integer('port', 0, 65535), 8080)
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--name <name>', 'camera name in the image and discovery (numbered with --count)', 'Sharp Eyes')
  .option('--username <user>', 'ONVIF and snapshot user (or SB_CAMERA_USERNAME; default admin)')
  .option('--password <password>', 'its password (better: SB_CAMERA_PASSWORD; default admin12345)')
  .option('--count <n>', 'cameras on consecutive ports', integer('count', 1, 64), 1)
  .option('--discovery <mode>', 'WS-Discovery: auto (loopback broadcast for a loopback --host, else multicast), loopback, multicast or off', (v: string) => {
    if (v !== 'auto' && v !== 'loopback' && v !== 'multicast' && v !== 'off') throw new InvalidArgumentError('discovery must be auto, loopback, multicast or off');
    return v;
  }, 'auto')
  .option('--discovery-port <port>', 'WS-Discovery UDP port (0 = any free port, shared by all cameras)', integer('discovery-port', 0, 65535), 3702)
  .option('--rtsp-port <port>', 'port written into the RTSP URIs', integer('rtsp-port', 1, 65535), 554)
  .option('--fault <kind>', 'a fault from the start: none | offline | wrong-password | slow:MS | broken-snapshot | snapshot-error')
  .option('--motion-every <seconds>', 'toggle the motion state every N seconds (events for a demo)', integer('motion-every', 1, 3600))
  .action(async (opts: import('./sim-camera-command.js').SimCameraOptions) => {
    const { runCameraSimulator } = await import('./sim-camera-command.js');
    await runCameraSimulator(opts);
  });

const modbus = program.command('modbus').description('technician tools for a Modbus bus: read a device, scan for unit ids');
const busUrlHelp = 'the bus: tcp://HOST[:PORT], rtu:///dev/ttyUSB0?baud=9600&parity=none, rtu+tcp://HOST:PORT';
modbus.command('read')
  .description('read every point of a device\'s profile once and print it decoded, with units (exit 3 if some points could not be read)')
  .requiredOption('--url <url>', busUrlHelp)
  .requiredOption('--unit <id>', 'unit (slave) id', integer('unit', 0, 255))
  .requiredOption('-p, --profile <name>', 'profile name from device-profiles/')
  .option('--json', 'machine-readable output')
  .option('--timeout <ms>', 'answer timeout per request', integer('timeout', 20, 60_000), 1000)
  .option('--max-registers <n>', 'registers per request, for devices that refuse long reads', integer('max-registers', 1, 125))
  .option('--max-gap <n>', 'unused registers one request may read through', integer('max-gap', 0, 124), 0)
  .option('--profiles-dir <dir>', 'profile library (default: the shipped device-profiles/)')
  .action(async (opts: { url: string; unit: number; profile: string; json?: boolean; timeout: number; maxRegisters?: number; maxGap: number; profilesDir?: string }) => {
    const { runModbusCommand, runModbusRead } = await import('./modbus-command.js');
    process.exitCode = await runModbusCommand('read', () => runModbusRead(opts));
  });
modbus.command('scan')
  .description('find the unit ids that answer on a bus (progress on stderr, result on stdout; exit 4 if none)')
  .requiredOption('--url <url>', busUrlHelp)
  .option('--units <range>', 'unit ids to probe, e.g. 1-247 or 1,5,10-20 (default: 1-247)')
  .option('--timeout <ms>', 'how long to wait for each unit', integer('timeout', 20, 60_000), 200)
  .option('--json', 'machine-readable output')
  .action(async (opts: { url: string; units?: string; timeout: number; json?: boolean }) => {
    const { runModbusCommand, runModbusScan } = await import('./modbus-command.js');
    process.exitCode = await runModbusCommand('scan', () => runModbusScan(opts));
  });

const cameras = program.command('cameras').description('technician tools for ONVIF cameras: find them on the network, check one as the gateway sees it');
cameras.command('discover')
  .description('send WS-Discovery probes and list the ONVIF cameras that answer (exit 4 if none)')
  .option('--target <host:port>', 'where to probe (repeatable; default 239.255.255.250:3702, or a subnet broadcast such as 192.168.1.255:3702)', collect, [])
  .option('--timeout <ms>', 'how long to wait for answers', integer('timeout', 200, 60_000), 3000)
  .option('--json', 'machine-readable output')
  .action(async (opts: import('./cameras-command.js').DiscoverOptions) => {
    const { runCamerasCommand, runCamerasDiscover } = await import('./cameras-command.js');
    process.exitCode = await runCamerasCommand('discover', () => runCamerasDiscover(opts));
  });
cameras.command('check')
  .description('connect as the gateway does: device info, profiles, stream URI, health state, a snapshot (exit 3: refused or snapshot failing, 4: unreachable)')
  .requiredOption('--xaddr <url>', 'the ONVIF device service, e.g. http://10.0.0.5/onvif/device_service')
  .option('--username <user>', 'ONVIF user (default: SB_CAMERA_USERNAME)')
  .option('--password <password>', 'its password (default: SB_CAMERA_PASSWORD, which keeps it out of the shell history)')
  .option('--profile <token|index>', 'media profile (default: the first)')
  .option('--snapshot <file>', 'save the snapshot to this file (JPEG)')
  .option('--max-bytes <n>', 'largest snapshot accepted', integer('max-bytes', 1024, 2 * 1024 * 1024), 1024 * 1024)
  .option('--timeout <ms>', 'per request', integer('timeout', 100, 60_000), 5000)
  .option('--json', 'machine-readable output')
  .action(async (opts: import('./cameras-command.js').CheckOptions) => {
    const { runCamerasCommand, runCamerasCheck } = await import('./cameras-command.js');
    process.exitCode = await runCamerasCommand('check', () => runCamerasCheck(opts));
  });

const pki = program.command('pki').description('a site CA and its certificates (broker, API, gateways) for installations with no PKI of their own');
const keyType = (v: string) => {
  if (v !== 'ec' && v !== 'rsa') throw new InvalidArgumentError('key type must be ec (P-256) or rsa (3072 bits)');
  return v;
};
pki.command('init')
  .description('create a site CA (10 years) in a directory: ca.crt for every client, ca.key (0600) that signs')
  .requiredOption('--dir <dir>', 'directory of the site PKI (created 0700)')
  .requiredOption('--name <name>', 'the CA\'s name, e.g. "Tongjiang sensing CA"')
  .option('--key-type <type>', 'ec (P-256) or rsa (3072 bits)', keyType, 'ec')
  .action(async (opts: { dir: string; name: string; keyType: 'ec' | 'rsa' }) => {
    const { runPkiInit } = await import('./pki-command.js');
    await runPkiInit(opts);
  });
pki.command('issue')
  .description('issue a certificate signed by the site CA: --server (broker, API) or --gateway (client certificate for mutual TLS)')
  .requiredOption('--dir <dir>', 'directory of the site PKI (from pki init)')
  .option('--server', 'a server certificate (TLS server authentication)')
  .option('--gateway', 'a gateway client certificate; its CN is the broker username {site}.{id}')
  .option('--name <host>', 'server: the host name (or address) clients connect to')
  .option('--dns <name>', 'server: another DNS name (repeatable)', collect, [])
  .option('--ip <address>', 'server: an IP address clients connect to (repeatable)', collect, [])
  .option('--site <site>', 'gateway: its site id')
  .option('--id <gateway>', 'gateway: its gateway id')
  .option('--key-type <type>', 'ec (P-256) or rsa (3072 bits)', keyType, 'ec')
  .option('--days <n>', 'validity in days (default 1825, never past the CA)', integer('days', 1, 3650))
  .option('--out <basename>', 'file base name (default: the host name, or gateway-{site}-{id})')
  .action(async (opts: import('./pki-command.js').PkiIssueOptions) => {
    const { runPkiIssue } = await import('./pki-command.js');
    await runPkiIssue(opts);
  });

const profiles = program.command('profiles').description('device profiles (device-profiles/*.yaml): check them, publish their JSON Schema');
profiles.command('validate')
  .description('check profile files as a gateway loads them; prints OK or the problems per file, exit code 1 if any')
  .argument('[files...]', 'profile files or directories (default: the shipped library)')
  .action(async (files: string[]) => {
    const { runProfilesValidate } = await import('./profiles-command.js');
    process.exitCode = await runProfilesValidate(files);
  });
profiles.command('json-schema')
  .description('print the JSON Schema of profile files (for editors; committed as device-profiles/profile.schema.json)')
  .action(async () => {
    const { runProfilesJsonSchema } = await import('./profiles-command.js');
    runProfilesJsonSchema();
  });

function describeFailure(err: unknown): string {
  if (err instanceof ConfigError || err instanceof InvalidArgumentError || (err as Error)?.name === 'PkiError' || (err as Error)?.name === 'MqttTlsError') return (err as Error).message;
  const { code, port } = err as { code?: string; port?: number };
  if (code === 'EADDRINUSE') return `port ${port ?? ''} is already in use: stop what holds it or choose another port (e.g. SB_API_PORT, SB_BROKER_PORT, --port)`;
  return (err as Error)?.stack ?? String(err);
}

program.parseAsync().catch((err: unknown) => {
  const message = describeFailure(err);
  console.error(`shaobing: ${message}`);
  process.exit(1);
});
