// TLS material of an MQTT client (gateway uplink, ingest, api): the CA that signed the
// broker's certificate and, for mutual TLS, the client's own certificate and key. Files are
// read once at start, so a missing or unreadable one stops the process naming the setting.
// The broker's certificate is always verified: there is deliberately no way to turn that off.
import fs from 'node:fs';
import { z } from 'zod';

/** Settings shared by the gateway's and the backend's `mqtt` sections. */
export const mqttTlsFileSettings = {
  /** PEM file of the CA that signed the broker's certificate (default: the system's CAs). */
  caFile: z.string().min(1).optional(),
  /** PEM certificate presented to the broker (mutual TLS); needs keyFile. */
  certFile: z.string().min(1).optional(),
  /** PEM private key of certFile. */
  keyFile: z.string().min(1).optional(),
};

export interface MqttTlsFiles {
  caFile?: string | undefined;
  certFile?: string | undefined;
  keyFile?: string | undefined;
}

/** PEM contents, as MQTT.js (tls.connect) takes them. */
export interface MqttTlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

export class MqttTlsError extends Error {
  override readonly name = 'MqttTlsError';
}

/** Checks the combination (the zod schemas call this too) and returns a problem, or undefined. */
export function mqttTlsProblem(url: string, files: MqttTlsFiles): { setting: string; message: string } | undefined {
  if ((files.certFile === undefined) !== (files.keyFile === undefined)) {
    return { setting: files.certFile === undefined ? 'certFile' : 'keyFile', message: 'certFile and keyFile go together (the client certificate and its key)' };
  }
  const tls = /^(mqtts|ssl|wss):/i.test(url);
  if (!tls && (files.caFile !== undefined || files.certFile !== undefined)) {
    return { setting: 'url', message: 'caFile/certFile are set but the URL is not mqtts:// (the connection would not be encrypted)' };
  }
  return undefined;
}

/** Reads the files; `prefix` names the settings in errors (e.g. `mqtt.`). */
export function loadMqttTls(url: string, files: MqttTlsFiles, prefix = 'mqtt.'): MqttTlsMaterial | undefined {
  const problem = mqttTlsProblem(url, files);
  if (problem) throw new MqttTlsError(`${prefix}${problem.setting}: ${problem.message}`);
  if (!/^(mqtts|ssl|wss):/i.test(url)) return undefined;
  const read = (setting: keyof MqttTlsFiles): Buffer | undefined => {
    const file = files[setting];
    if (file === undefined) return undefined;
    try {
      return fs.readFileSync(file);
    } catch (err) {
      throw new MqttTlsError(`${prefix}${setting}: cannot read ${file}: ${(err as Error).message}`);
    }
  };
  const ca = read('caFile');
  const cert = read('certFile');
  const key = read('keyFile');
  return { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
}

/** The MQTT.js options for `material`; the broker's certificate is always checked. */
export function mqttTlsClientOptions(material: MqttTlsMaterial | undefined): { ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized: true } {
  return { ...material, rejectUnauthorized: true };
}
