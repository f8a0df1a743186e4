// Commands from the backend, as data: decoding a payload into a command or a named problem,
// deciding whether it is still fresh, and the command-result event that answers it. Pure.
import {
  commandSchema, decodeJson, isValidId, PROTOCOL_VERSION,
  type Command, type CommandResultData, type GatewayEvent,
} from '../protocol/index.js';

/** Commands are small; anything bigger is not one of ours. */
export const MAX_COMMAND_BYTES = 16 * 1024;

export type DecodedCommand =
  | { ok: true; command: Command }
  /** `id` and `device` are what could be read from the rejected payload, to address the answer. */
  | { ok: false; id: string | null; device?: string; type?: string; reason: string };

function field(raw: unknown, name: string): unknown {
  return typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>)[name] : undefined;
}

export function decodeCommand(payload: Buffer | string): DecodedCommand {
  const decoded = decodeJson(commandSchema, payload, MAX_COMMAND_BYTES);
  if (decoded.ok) return { ok: true, command: decoded.value };
  // Salvage what identifies the command, so the refusal can be matched to it.
  let raw: unknown;
  try {
    raw = JSON.parse(typeof payload === 'string' ? payload : payload.toString('utf8'));
  } catch {
    raw = undefined;
  }
  const id = field(raw, 'id');
  const device = field(raw, 'device') ?? field(raw, 'camera');
  const type = field(raw, 'type');
  return {
    ok: false,
    id: typeof id === 'string' && id.length > 0 && id.length <= 64 ? id : null,
    ...(typeof device === 'string' && isValidId(device) ? { device } : {}),
    ...(typeof type === 'string' && type.length <= 64 ? { type } : {}),
    reason: `malformed command: ${decoded.reason}`,
  };
}

/** A command issued longer ago than `maxAgeMs` is refused: a siren must not sound hours late. */
export function staleness(command: Command, now: number, maxAgeMs: number): string | undefined {
  const age = now - command.ts;
  return age > maxAgeMs ? `expired: issued ${Math.round(age / 1000)} s ago, the limit is ${Math.round(maxAgeMs / 1000)} s` : undefined;
}

/**
 * The device whose event topic carries the answer: the written device or the camera; the
 * gateway's own id for commands about the whole gateway or without a usable target.
 */
export function resultTopicDevice(decoded: DecodedCommand, gatewayId: string): string {
  if (!decoded.ok) return decoded.device ?? gatewayId;
  const { command } = decoded;
  if (command.type === 'write') return command.device;
  if (command.type === 'ptz') return command.camera;
  return gatewayId;
}

export interface CommandOutcome {
  id: string | null;
  command?: string;
  ok: boolean;
  error?: string;
  durationMs: number;
  /** Echoed so a dashboard can show what was done without looking the command up. */
  details?: Record<string, unknown>;
}

export function buildCommandResult(outcome: CommandOutcome, ts: number): GatewayEvent {
  const data: CommandResultData & Record<string, unknown> = {
    ...outcome.details,
    id: outcome.id,
    ...(outcome.command !== undefined ? { command: outcome.command } : {}),
    ok: outcome.ok,
    ...(outcome.error !== undefined ? { error: outcome.error.slice(0, 2000) } : {}),
    durationMs: Math.max(0, Math.round(outcome.durationMs * 10) / 10),
  };
  const what = `${outcome.command ?? 'command'} ${outcome.id ?? '(no id)'}`;
  const message = outcome.ok ? `${what} done` : `${what} failed: ${outcome.error ?? 'unknown error'}`;
  return { v: PROTOCOL_VERSION, ts, type: 'command-result', message: message.slice(0, 2000), data };
}

/** What a command's result echoes about it. */
export function commandDetails(command: Command): Record<string, unknown> {
  if (command.type === 'write') return { device: command.device, point: command.point, value: command.value };
  if (command.type === 'ptz') return { camera: command.camera, action: command.action };
  return command.cameras ? { cameras: command.cameras } : {};
}
