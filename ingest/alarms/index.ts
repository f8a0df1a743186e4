// The alarm engine's public face for the ingest service: compile or load the rules, create
// the engine, feed it readings, gateway health and ticks, and carry out the changes it returns.
export { compileRules, loadRules, DEFAULT_FLAP, DEFAULT_THRESHOLD_SEVERITIES, type CompileResult, type ProfileForAlarms } from './compile-rules.js';
export { createAlarmEngine, type AlarmEngineOptions } from './engine.js';
export { alarmId } from './lifecycle.js';
export type { AcknowledgeResult, AlarmChange, AlarmEngine, CompiledRules, GatewayHealth, ReadingSample } from './engine-types.js';
