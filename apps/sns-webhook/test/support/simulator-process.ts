// The simulator process is shared test support (tooling/simulator-process); this file adds only what these
// suites need on top of it.
export {
  freePort,
  SIM_BUYERS,
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
  agreementId: string;
  state: string;
}

export interface SimDelivery {
  messageId: string;
  type: string;
  topicArn: string;
  endpoint: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastStatusCode: number | null;
}
