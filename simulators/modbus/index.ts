// The Modbus device simulator's public surface: TCP and RTU servers, the simulated bus with its
// faults, the virtual serial cable, and the value model tests use to predict what a gateway reads.
export { startModbusSimulator, type ModbusSimulator, type ModbusSimulatorOptions, type TcpFraming } from './server.js';
export { startRtuSimulator, type RtuSimulator, type RtuSimulatorOptions } from './serial-server.js';
export { SimulatedBus, type SimulatedDevice, type SimulatedDeviceSpec, type SeenRequest, type UnitCounters } from './simulated-bus.js';
export { parseFault, parseUnitFault, describeFault, FAULT_SYNTAX, type Fault } from './faults.js';
export { startPtyPair, type PtyPair } from './pty-pair.js';
export { simulatedValue, quantizeTime, SIMULATION_STEP_MS } from './value-model.js';
export { servedValue, SimulatedRegisterMap, type UnmappedPolicy } from './register-map.js';
