// The simulator process is shared test support (tooling/simulator-process); this file adds only what these
// suites need on top of it.
export {
  SIM_BUYERS,
  SIM_CHINA_PRODUCT,
  SIM_CREDENTIALS,
  SIM_GLOBAL_PRODUCT,
  type SimulatorProcess,
  simulatorAvailable,
  startSimulatorProcess,
} from '@billing-center/simulator-process';

export interface SimSubscription {
  id: string;
  productCode: string;
  partition: 'aws' | 'aws-cn';
  buyerAccountId: string;
  customerIdentifier: string;
  licenseArn: string;
  offerId?: string;
}
