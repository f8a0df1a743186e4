// Prometheus metrics of the live stream. Counts are read from the hub when scraped (the hot
// fan-out path only bumps plain numbers); the alarm latency histogram is observed by the hub.
import { Counter, Gauge, Histogram, getOrCreate, type Registry } from '../../lib/metrics.js';
import type { LiveHubStats } from './live-hub.js';

/** Registers the live-stream metrics for one hub; returns the alarm latency histogram. */
export function registerLiveMetrics(registry: Registry, hub: { stats(): LiveHubStats }): Histogram<'severity' | 'state'> {
  getOrCreate(registry, 'shaobing_live_clients', () => new Gauge({
    name: 'shaobing_live_clients', help: 'Clients connected to the live stream (GET /v1/live)', registers: [registry],
    collect() { this.set(hub.stats().clients); },
  }));
  getOrCreate(registry, 'shaobing_live_clients_dropped_total', () => new Counter({
    name: 'shaobing_live_clients_dropped_total', help: 'Live-stream clients dropped for being too slow (their queue passed its limit)', registers: [registry],
    collect() { this.reset(); this.inc(hub.stats().dropped); },
  }));
  getOrCreate(registry, 'shaobing_live_events_sent_total', () => new Counter({
    name: 'shaobing_live_events_sent_total', help: 'Events written to live-stream clients (one per client), by type', labelNames: ['type'] as const, registers: [registry],
    collect() {
      const { sent } = hub.stats();
      this.reset();
      this.inc({ type: 'reading' }, sent.reading);
      this.inc({ type: 'alarm' }, sent.alarm);
    },
  }));
  getOrCreate(registry, 'shaobing_live_events_published_total', () => new Counter({
    name: 'shaobing_live_events_published_total', help: 'Events the live-stream hub received from the broker, by type', labelNames: ['type'] as const, registers: [registry],
    collect() {
      const { published } = hub.stats();
      this.reset();
      this.inc({ type: 'reading' }, published.reading);
      this.inc({ type: 'alarm' }, published.alarm);
    },
  }));
  getOrCreate(registry, 'shaobing_live_resets_total', () => new Counter({
    name: 'shaobing_live_resets_total', help: 'Reconnecting live clients told that events were missed (Last-Event-ID older than the window)', registers: [registry],
    collect() { this.reset(); this.inc(hub.stats().resets); },
  }));
  getOrCreate(registry, 'shaobing_live_ring_events', () => new Gauge({
    name: 'shaobing_live_ring_events', help: 'Recent events kept for Last-Event-ID resume', registers: [registry],
    collect() { this.set(hub.stats().ring.size); },
  }));
  return getOrCreate(registry, 'shaobing_alarm_visible_seconds', () => new Histogram({
    name: 'shaobing_alarm_visible_seconds',
    help: 'From ingest receiving the reading (alarm receivedAt) to the alarm change reaching the live-stream clients',
    labelNames: ['severity', 'state'] as const, buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30], registers: [registry],
  }));
}
