// The simulator process is shared test support (tooling/simulator-process); this file adds only what these
// suites need on top of it.
export {
  freePort,
  SIM_CHINA_PRODUCT,
  SIM_GLOBAL_PRODUCT,
  type SimulatorProcess,
  simulatorAvailable,
  startSimulatorProcess,
} from '@billing-center/simulator-process';

import { SIM_BUYERS } from '@billing-center/simulator-process';

/** The buyer these suites subscribe with. */
export const SIM_BUYER = SIM_BUYERS[0];
