// How every backend service (ingest, its alarm side, the API's parts) connects to the broker:
// its account, retrying every second, TLS when the URL is mqtts://. One place, so a setting such
// as the reconnect period cannot drift between services.
import mqtt, { type MqttClient } from 'mqtt';
import { mqttTlsClientOptions, type MqttTlsMaterial } from './mqtt-tls.js';

export interface ServiceLogin {
  url: string;
  username: string;
  password: string;
  clientId: string;
  tls?: MqttTlsMaterial | undefined;
}

/** `persistent`: a session the broker keeps while the service is away (clean: false), for services that must not miss a message. */
export function connectService(login: ServiceLogin, { persistent = false }: { persistent?: boolean } = {}): MqttClient {
  return mqtt.connect(login.url, {
    clientId: login.clientId, username: login.username, password: login.password,
    clean: !persistent, reconnectPeriod: 1000, connectTimeout: 10_000,
    ...mqttTlsClientOptions(login.tls),
  });
}
