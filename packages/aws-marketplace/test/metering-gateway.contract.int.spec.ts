// The core's MeteringGateway contract against the real adapter on the simulator (the core runs the same
// suite against its FakeMarketplace).
import { type ContractBuyer, defineMeteringGatewayContract } from '@billing-center/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsMarketplaceAdapters } from '../src/outbound/aws-marketplace-adapters.js';
import {
  SIM_BUYERS,
  SIM_CHINA_PRODUCT,
  SIM_CREDENTIALS,
  SIM_GLOBAL_PRODUCT,
  type SimSubscription,
  simulatorAvailable,
  startSimulatorProcess,
} from './support/simulator-process.js';

describe.skipIf(!simulatorAvailable())('against the simulator', () => {
  defineMeteringGatewayContract(
    { describe, it, expect, beforeAll, afterAll },
    'AwsMeteringGateway over HTTP to apps/aws-simulator',
    async () => {
      const sim = await startSimulatorProcess();
      const endpoints = {
        meteringEndpoint: sim.url,
        entitlementEndpoint: sim.url,
        staticCredentials: SIM_CREDENTIALS,
      };
      const adapters = createAwsMarketplaceAdapters({
        partitions: { aws: endpoints, 'aws-cn': endpoints },
        metering: { callsPerSecond: null, baseDelayMs: 1, maxDelayMs: 10 },
      });
      // The simulator's buyers: two who can pay, for each of its two products.
      const slots = SIM_BUYERS.flatMap((buyerAccountId) =>
        [SIM_GLOBAL_PRODUCT, SIM_CHINA_PRODUCT].map((productCode) => ({ buyerAccountId, productCode })),
      );
      const subscriptions = new Map<string, SimSubscription>();
      return {
        gateway: adapters.meteringGateway,
        dimensions: ['usage_cost', 'workspaces'],
        newBuyer: async (): Promise<ContractBuyer> => {
          const slot = slots.shift();
          if (!slot) throw new Error('the simulator has no more buyers');
          const sub = await sim.admin<SimSubscription>('POST', '/_admin/subscriptions', slot);
          subscriptions.set(sub.licenseArn, sub);
          return {
            partition: sub.partition,
            productCode: sub.productCode,
            licenseArn: sub.licenseArn,
            customerAwsAccountId: sub.buyerAccountId,
            customerIdentifier: null,
          };
        },
        cancel: async (buyer, from) => {
          const sub = subscriptions.get(buyer.licenseArn as string) as SimSubscription;
          // The simulator cancels "now": its clock is set back to `from` for the cancellation (a second
          // early, so the time the admin calls take does not move it past the hour).
          await sim.admin('POST', '/_admin/clock', { now: new Date(from.getTime() - 1_000).toISOString() });
          await sim.admin('POST', `/_admin/subscriptions/${sub.id}/cancel`);
          await sim.admin('POST', `/_admin/subscriptions/${sub.id}/complete-cancellation`);
          await sim.admin('POST', '/_admin/clock', { offsetMs: 0 });
        },
        close: async () => {
          adapters.close();
          await sim.close();
        },
      };
    },
  );
});
