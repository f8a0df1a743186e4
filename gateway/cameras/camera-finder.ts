// Finds cameras configured with `discover` (instead of a fixed xaddr) by WS-Discovery, sharing
// one probe round between all of them and probing at most once per `intervalMs`, so a camera
// that stays missing does not flood the network with probes at every health check.
import type { Logger } from '../../lib/logger.js';
import { discoverCameras, matchesCamera, pickXaddr, type DiscoveredCamera } from './discovery.js';
import type { CameraDiscoverySettings, DiscoverMatch } from './settings.js';

export class CameraFinder {
  private last: { at: number; cameras: DiscoveredCamera[] } | undefined;
  private running: Promise<DiscoveredCamera[]> | undefined;

  constructor(private readonly settings: CameraDiscoverySettings, private readonly logger: Logger) {}

  /** The xaddr of the camera matching `match`, from the latest probe round (a new one if the last is older than intervalMs). */
  async find(match: DiscoverMatch): Promise<{ xaddr: string; urn: string } | undefined> {
    const cameras = await this.current();
    const found = cameras.find((camera) => matchesCamera(camera, match));
    const xaddr = found ? pickXaddr(found.xaddrs) : undefined;
    return found && xaddr ? { xaddr, urn: found.urn } : undefined;
  }

  private current(): Promise<DiscoveredCamera[]> {
    if (this.running) return this.running;
    if (this.last && Date.now() - this.last.at < this.settings.intervalMs) return Promise.resolve(this.last.cameras);
    this.running = discoverCameras(this.settings.targets, this.settings.timeoutMs)
      .catch((err: unknown) => {
        this.logger.warn({ err: (err as Error).message, targets: this.settings.targets }, 'WS-Discovery probe failed');
        return [] as DiscoveredCamera[];
      })
      .then((cameras) => {
        this.last = { at: Date.now(), cameras };
        this.running = undefined;
        this.logger.info({ found: cameras.length, targets: this.settings.targets }, 'WS-Discovery probe done');
        return cameras;
      });
    return this.running;
  }
}
