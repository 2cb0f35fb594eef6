// The simulator process is shared test support (tooling/simulator-process); this file adds only what these
// suites need on top of it.
export {
  SIM_CREDENTIALS,
  type SimulatorProcess,
  startSimulatorProcess,
} from '@billing-center/simulator-process';
