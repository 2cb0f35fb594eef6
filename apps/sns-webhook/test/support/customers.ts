// Buyers registered in the Billing Center through the core's own use cases (the fake marketplace resolves
// their registration token), with as many workspaces settled by their cloud account as a test needs.
import type { CloudAccount, UseCases, Workspace } from '@billing-center/core';
import type { FakeBuyer, FakeMarketplace } from '@billing-center/core/testing';
import { GLOBAL_PRODUCT } from './signing.js';

let seq = 0;

/** A new buyer of the simulator's global product, named by customer identifier (as SNS messages are). */
export function newBuyer(): FakeBuyer {
  seq += 1;
  const n = `${process.pid % 1000}${Date.now() % 100_000}${seq}`.padStart(12, '0').slice(-12);
  return {
    partition: 'aws',
    productCode: GLOBAL_PRODUCT,
    customerIdentifier: `cust${n}`,
    customerAwsAccountId: n,
    licenseArn: `arn:aws:license-manager::${n}:license:l-${n}`,
  };
}

export interface RegisteredBuyer {
  readonly buyer: FakeBuyer;
  readonly accountId: string;
  readonly cloudAccount: CloudAccount;
  readonly workspaces: Workspace[];
}

/** Registration through the fulfillment hand-off, then `workspaces - 1` more workspaces settled by it. */
export async function registerBuyer(
  w: { useCases: UseCases; marketplace: FakeMarketplace },
  buyer: FakeBuyer = newBuyer(),
  workspaces = 1,
): Promise<RegisteredBuyer> {
  const token = w.marketplace.issueToken(buyer);
  const ticket = await w.useCases.openRegistrationTicket.execute({ partition: buyer.partition, token });
  seq += 1;
  const done = await w.useCases.completeRegistrationAsNewAccount.execute({
    ticketId: ticket.id,
    account: {
      username: `user${buyer.customerAwsAccountId}${seq}`,
      email: `user${buyer.customerAwsAccountId}${seq}@example.com`,
      password: 'correct horse battery staple',
      company: 'Acme',
    },
    workspace: { name: 'Production', language: 'en', siteId: 'us1' },
    termsAccepted: true,
  });
  const all = [...done.workspaces];
  for (let i = 1; i < workspaces; i += 1) {
    all.push(
      await w.useCases.createWorkspace.execute({
        ownerAccountId: done.account.id,
        name: `Workspace ${i + 1}`,
        language: 'en',
        siteId: 'us1',
        method: { kind: 'cloud-account', cloudAccountId: done.cloudAccount.id },
        by: { type: 'customer', accountId: done.account.id },
      }),
    );
  }
  return { buyer, accountId: done.account.id, cloudAccount: done.cloudAccount, workspaces: all };
}
