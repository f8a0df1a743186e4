// Request bodies for the InfluxDB ceiling: the very lines ingest writes for the same
// readings (store/influx/line-protocol.ts: 4 tags, 10 float fields + sb_seq and
// sb_quality, ms timestamps), cut into bodies of a fixed number of lines. Pure.
import { samplesToLines } from '../../store/influx/line-protocol.js';
import { fleetStoredSamples, type GatewayTelemetry } from './synthetic-telemetry.js';

export function lineProtocolBodies(fleet: readonly GatewayTelemetry[], bodies: number, linesPerBody: number): Buffer[] {
  return Array.from({ length: bodies }, () => Buffer.from(samplesToLines(fleetStoredSamples(fleet, linesPerBody)).join('\n')));
}
