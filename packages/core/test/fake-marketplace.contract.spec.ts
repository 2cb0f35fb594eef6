import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineMeteringGatewayContract, FakeMarketplace } from '../src/testing/index.js';

// The fake every core test trusts keeps AWS's rules: the same suite runs against the real adapter on the
// simulator in packages/aws-marketplace.
defineMeteringGatewayContract(
  { describe, it, expect, beforeAll, afterAll },
  'the core’s FakeMarketplace',
  async () => {
    const fake = new FakeMarketplace();
    let n = 0;
    return {
      gateway: fake,
      dimensions: ['usage_cost', 'workspaces'],
      newBuyer: async () => {
        n += 1;
        return {
          partition: 'aws',
          productCode: 'prod-fake',
          licenseArn: `arn:aws:license-manager::111122223333:license:l-fake${n}`,
          customerAwsAccountId: `21098765432${n}`,
          customerIdentifier: null,
        };
      },
      cancel: async (buyer, from) => fake.cancel(buyer, from),
      close: async () => undefined,
    };
  },
);
