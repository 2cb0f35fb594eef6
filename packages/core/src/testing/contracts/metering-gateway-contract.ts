import type { MeteringRecord } from '../../domain/metering/metering-record.js';
import type { MeteringGateway } from '../../ports/services.js';
import { mother } from '../mothers.js';
import type { ContractHarness } from './repository-contracts.js';

/*
 * What any MeteringGateway must do, as AWS does it. Run against the core's FakeMarketplace (so the fake the
 * core's tests trust keeps AWS's rules) and against the real AWS adapter talking to the simulator over HTTP
 * (packages/aws-marketplace), so the two cannot drift apart. Test functions are passed in, as for the
 * repository contracts.
 */

export interface GatewayContractHarness extends Omit<ContractHarness, 'beforeEach'> {
  beforeAll: (fn: () => Promise<void> | void, timeout?: number) => void;
  afterAll: (fn: () => Promise<void> | void) => void;
}

export type ContractBuyer = Pick<
  MeteringRecord,
  'partition' | 'productCode' | 'licenseArn' | 'customerAwsAccountId' | 'customerIdentifier'
>;

export interface MeteringGatewayHarness {
  gateway: MeteringGateway;
  /** Two dimensions the product knows. */
  dimensions: readonly [string, string];
  /** A subscribed buyer nobody else in the suite uses (at most three are asked for). */
  newBuyer(): Promise<ContractBuyer>;
  /** Cancels the buyer's subscription as of `from`: hours from then on are not billable. */
  cancel(buyer: ContractBuyer, from: Date): Promise<void>;
  close(): Promise<void>;
}

const HOUR = 3_600_000;

export function defineMeteringGatewayContract(
  t: GatewayContractHarness,
  name: string,
  start: () => Promise<MeteringGatewayHarness>,
): void {
  const { describe, it, expect, beforeAll, afterAll } = t;
  describe(`MeteringGateway contract: ${name}`, () => {
    let h: MeteringGatewayHarness;
    beforeAll(async () => {
      h = await start();
    }, 60_000);
    afterAll(async () => h?.close());

    const top = () => Math.floor(Date.now() / HOUR) * HOUR;
    const record = (buyer: ContractBuyer, hoursAgo: number, dimension: string, quantity: number) =>
      mother.meteringRecord({
        cloudAccountId: 'ca-contract',
        status: 'submitted',
        attempts: 1,
        ...buyer,
        dimension,
        hour: new Date(top() - hoursAgo * HOUR),
        quantity,
        allocations: [
          { workspaceId: 'ws-1', quantity: quantity - Math.floor(quantity / 3) },
          { workspaceId: null, quantity: Math.floor(quantity / 3) },
        ],
      });

    it('accepts 40 records (20 hours × 2 dimensions) with one result each, in order', async () => {
      const buyer = await h.newBuyer();
      const rs = Array.from({ length: 40 }, (_, i) =>
        record(buyer, 1 + (i >> 1), h.dimensions[i & 1]!, 10 + i),
      );
      const results = await h.gateway.submit(rs);
      expect(results.map((r) => r.recordId)).toEqual(rs.map((r) => r.id));
      for (const r of results) {
        expect(r).toMatchObject({ outcome: 'accepted', awsMeteringRecordId: expect.any(String) });
      }

      // A resend of the identical records (a lost response) is accepted again, with the same id.
      const again = await h.gateway.submit(rs);
      expect(again.map((r) => (r.outcome === 'accepted' ? r.awsMeteringRecordId : r.outcome))).toEqual(
        results.map((r) => (r.outcome === 'accepted' ? r.awsMeteringRecordId : r.outcome)),
      );

      // Another quantity for a metered (customer, dimension, hour) is never billed: DuplicateRecord.
      const changed = record(buyer, 1, h.dimensions[0], 5_000);
      expect((await h.gateway.submit([changed]))[0]).toEqual({ recordId: changed.id, outcome: 'duplicate' });
    });

    it('rejects a record whose allocations do not add up, and still accepts the others', async () => {
      const buyer = await h.newBuyer();
      const rs = [1, 2, 3].map((n) => record(buyer, n, h.dimensions[1], 30));
      const bad = rs[1] as MeteringRecord;
      bad.allocations = [{ workspaceId: 'ws-1', quantity: 1 }];
      const results = await h.gateway.submit(rs);
      expect(results.map((r) => r.outcome)).toEqual(['accepted', 'rejected', 'accepted']);
      expect(results[1]).toMatchObject({ error: 'InvalidUsageAllocationsException' });
    });

    it('answers CustomerNotSubscribed for hours from the cancellation on', async () => {
      const buyer = await h.newBuyer();
      await h.cancel(buyer, new Date(top() - 3 * HOUR));
      const rs = [5, 4, 3, 2, 1].map((n) => record(buyer, n, h.dimensions[0], 7));
      const results = await h.gateway.submit(rs);
      expect(results.map((r) => r.outcome)).toEqual([
        'accepted',
        'accepted',
        'customer-not-subscribed',
        'customer-not-subscribed',
        'customer-not-subscribed',
      ]);
    });
  });
}
