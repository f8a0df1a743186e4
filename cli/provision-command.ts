// `shaobing provision gateway`: a technician brings a new gateway online with one command. It
// asks the API to create the gateway and its broker account (technician or admin token), and
// writes a ready gateway config file (mode 0600: it holds the broker password, which the API
// shows this once and keeps only as a hash). It never overwrites a file without --force, and
// checks that before asking the API, so no credentials are created for nothing.
import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { z } from 'zod';
import { gatewaySettingsSchema } from '../gateway/config.js';
import { idSchema } from '../protocol/index.js';

export interface ProvisionGatewayOptions {
  site: string;
  id: string;
  api: string;
  token?: string;
  brokerUrl?: string;
  out?: string;
  dataDir?: string;
  description?: string;
  force?: boolean;
}

export class ProvisionError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'ProvisionError';
  }
}

const provisionedSchema = z.object({
  site: z.string(), gateway: z.string(), state: z.string(),
  mqtt: z.object({ url: z.string().optional(), username: z.string(), password: z.string() }),
});

function apiBase(api: string): string {
  let url: URL;
  try {
    url = new URL(api);
  } catch {
    throw new ProvisionError(`--api must be the API's URL, e.g. https://api.example:8080 (got "${api}")`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ProvisionError(`--api must be an http(s) URL (got "${api}")`);
  return url.toString().replace(/\/+$/, '');
}

/** The API's host with the usual broker port: plain MQTT on loopback, TLS elsewhere. */
function guessBrokerUrl(api: string): string {
  const host = new URL(api).hostname;
  const loopback = host === 'localhost' || host === '::1' || host === '[::1]' || host.startsWith('127.');
  return loopback ? `mqtt://${host}:1883` : `mqtts://${host}:8883`;
}

/** Provisions the gateway and writes its file; returns the text to print. */
export async function provisionGateway(options: ProvisionGatewayOptions, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  for (const [name, value] of [['--site', options.site], ['--id', options.id]] as const) {
    if (!idSchema.safeParse(value).success) throw new ProvisionError(`${name} "${value}": must be lowercase letters, digits or "-", 1–64 characters`);
  }
  const token = options.token ?? env.SB_API_TOKEN;
  if (!token) throw new ProvisionError('an API token is needed: --token or SB_API_TOKEN (a technician or admin token; see `shaobing new-token`)');
  const base = apiBase(options.api);
  const out = path.resolve(options.out ?? `${options.site}-${options.id}.yaml`);
  if (fs.existsSync(out) && !options.force) {
    throw new ProvisionError(`${out} exists: refusing to overwrite it (it may hold another gateway's credentials); use --force or another --out`);
  }
  if (!fs.existsSync(path.dirname(out))) throw new ProvisionError(`the directory of ${out} does not exist`);

  let response: Response;
  try {
    response = await fetch(`${base}/v1/registry/gateways`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ site: options.site, gateway: options.id, ...(options.description ? { description: options.description } : {}) }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    throw new ProvisionError(`cannot reach the API at ${base}: ${(err as Error).message}`);
  }
  const body = (await response.json().catch(() => ({}))) as { message?: string };
  if (!response.ok) {
    const hint = response.status === 401 || response.status === 403 ? ' (the token must belong to a technician or admin)' : '';
    throw new ProvisionError(`the API refused (${response.status}): ${body.message ?? response.statusText}${hint}`);
  }
  const created = provisionedSchema.parse(body);
  // The credentials exist now and are shown only once: never fail from here on for lack of an address.
  const brokerUrl = options.brokerUrl ?? created.mqtt.url ?? guessBrokerUrl(base);
  const guessed = options.brokerUrl === undefined && created.mqtt.url === undefined;

  const settings = {
    site: created.site,
    gateway: created.gateway,
    mqtt: { url: brokerUrl, username: created.mqtt.username, password: created.mqtt.password },
    dataDir: path.resolve(options.dataDir ?? path.join(path.dirname(out), `${created.site}-${created.gateway}-data`)),
    devices: [],
  };
  gatewaySettingsSchema.parse(settings); // what we write, the gateway must accept
  const text = `# Shaobing gateway ${created.site}/${created.gateway}, provisioned ${new Date().toISOString()} through ${base}.\n`
    + '# Holds the broker password (shown nowhere else): keep this file private (mode 0600).\n'
    + '# Devices and cameras come from the registry as remote config; devices listed here run until the first one arrives.\n'
    + stringify(settings);
  try {
    if (options.force) fs.rmSync(out, { force: true });
    fs.writeFileSync(out, text, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    throw new ProvisionError(`gateway ${created.site}/${created.gateway} was created, but ${out} could not be written (${(err as Error).message}); `
      + 'its password is lost: revoke it (POST /v1/registry/gateways/…/revoke) and provision again with another id');
  }

  return [
    `Gateway ${created.site}/${created.gateway} provisioned.`,
    `  config file : ${out} (mode 0600; holds the broker password, which is not stored anywhere else)`,
    `  broker      : ${brokerUrl} as ${created.mqtt.username}${guessed ? ' (GUESSED: the API advertises none; check mqtt.url in the file, or use --broker-url next time)' : ''}`,
    `  local data  : ${settings.dataDir}`,
    '',
    'Next:',
    `  1. Copy ${path.basename(out)} to the gateway box (e.g. scp, then chmod 600) and delete other copies.`,
    `  2. On the box: shaobing gateway --config ${path.basename(out)}`,
    `  3. Add its devices:  PUT ${base}/v1/registry/gateways/${created.site}/${created.gateway}/devices/<device-id>`,
    `     and cameras:      PUT ${base}/v1/registry/gateways/${created.site}/${created.gateway}/cameras/<camera-id>`,
    `  4. Check it is online: GET ${base}/v1/gateways?site=${created.site}`,
    `  Lost or stolen box: POST ${base}/v1/registry/gateways/${created.site}/${created.gateway}/revoke`,
  ].join('\n');
}
