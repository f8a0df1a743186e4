// A free UDP port on loopback, for WS-Discovery responders and probes in tests (lib/net.ts's
// freePort is TCP: a free TCP port says nothing about UDP).
import dgram from 'node:dgram';

export async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}
