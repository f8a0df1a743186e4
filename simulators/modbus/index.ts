// The Modbus device simulator's public surface: the server and the value model tests use to
// predict what a gateway reads.
export { startModbusSimulator, type ModbusSimulator, type ModbusSimulatorOptions } from './server.js';
export { simulatedValue, quantizeTime, SIMULATION_STEP_MS } from './value-model.js';
export { servedValue, SimulatedRegisterMap, type UnmappedPolicy } from './register-map.js';
