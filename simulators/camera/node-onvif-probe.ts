// Aims node-onvif's WS-Discovery probe at simulated cameras on loopback (see discovery.ts for why
// broadcast to 127.255.255.255). node-onvif multicasts to instance fields `_MULTICAST_ADDRESS` and
// `_PORT`, but its socket lacks SO_BROADCAST, without which the kernel refuses the send (EACCES,
// which node-onvif ignores). The socket exists as soon as startProbe() returns and is bound
// asynchronously; a 'listening' listener put before node-onvif's own sets the flag before its
// first probe goes out. Used by tests and demos only: real deployments keep the multicast default.
import type NodeOnvif from 'node-onvif';
import { LOOPBACK_BROADCAST_ADDRESS } from './discovery.js';

type Onvif = typeof NodeOnvif;

export async function probeLoopbackWithNodeOnvif(onvif: Onvif, port: number, waitMs = 1000): Promise<Awaited<ReturnType<Onvif['startProbe']>>> {
  const saved = { address: onvif._MULTICAST_ADDRESS, port: onvif._PORT, wait: onvif._DISCOVERY_WAIT };
  onvif._MULTICAST_ADDRESS = LOOPBACK_BROADCAST_ADDRESS;
  onvif._PORT = port;
  onvif._DISCOVERY_WAIT = waitMs;
  try {
    const result = onvif.startProbe();
    const socket = onvif._udp;
    if (!socket) throw new Error('node-onvif created no probe socket (has its startProbe changed?)');
    socket.prependOnceListener('listening', () => socket.setBroadcast(true));
    return await result;
  } finally {
    onvif._MULTICAST_ADDRESS = saved.address;
    onvif._PORT = saved.port;
    onvif._DISCOVERY_WAIT = saved.wait;
  }
}
