import type { Actor } from '../domain/audit/audit-entry.js';
import type { TransactionContext } from '../ports/repositories.js';
import type { FakeBuyer } from './fakes.js';
import type { TestCore } from './test-core.js';

/*
 * Steps shared by every suite that drives the use cases (core tests, and the persistence flows that run
 * them on SQLite and PostgreSQL): a buyer, a customer activated through the registration, a lifecycle
 * message through the inbox, a read.
 */

let seq = 0;

export const customer = (accountId: string): Actor => ({ type: 'customer', accountId });
export const operator: Actor = { type: 'operator', operatorId: 'op-1' };
export const platform: Actor = { type: 'platform', keyId: 'key-1' };

/** A new AWS Marketplace buyer (current identity: license ARN + AWS account id). */
export function buyer(partition: 'aws' | 'aws-cn' = 'aws', o: Partial<FakeBuyer> = {}): FakeBuyer {
  seq += 1;
  const acct = String(100000000000 + seq);
  return {
    partition,
    productCode: partition === 'aws' ? 'prodglobal0001' : 'prodchina0001',
    customerIdentifier: null,
    customerAwsAccountId: acct,
    licenseArn: `arn:${partition}:license-manager::${acct}:license:l-${seq.toString(16).padStart(12, '0')}`,
    ...o,
  };
}

/** A registered customer whose first workspace is settled by a new AWS cloud account. */
export async function activatedCustomer(
  core: TestCore,
  o: { partition?: 'aws' | 'aws-cn'; siteId?: string; buyer?: FakeBuyer } = {},
) {
  const b = o.buyer ?? buyer(o.partition ?? 'aws');
  const token = core.marketplace.issueToken(b);
  const ticket = await core.useCases.openRegistrationTicket.execute({ partition: b.partition, token });
  seq += 1;
  const res = await core.useCases.completeRegistrationAsNewAccount.execute({
    ticketId: ticket.id,
    account: {
      username: `cust${seq}`,
      email: `cust${seq}@example.com`,
      password: 'correct horse battery',
      company: 'Acme',
    },
    workspace: { name: 'Production', language: 'en', siteId: o.siteId },
    termsAccepted: true,
  });
  // The activation always creates exactly one workspace.
  return { ...res, buyer: b, ticket, workspace: res.workspaces[0]! };
}

/** Deliver a lifecycle message through the inbox, as the webhook would: store, then process. */
export async function deliver(
  core: TestCore,
  b: FakeBuyer,
  action: string,
  occurredAt: Date,
  messageId = `msg-${++seq}`,
) {
  const r = await core.useCases.receiveMarketplaceEvent.execute({
    source: 'sns',
    messageId,
    action,
    partition: b.partition,
    productCode: b.productCode,
    customerIdentifier: b.customerIdentifier,
    customerAwsAccountId: b.customerAwsAccountId,
    licenseArn: b.licenseArn,
    occurredAt,
    payload: JSON.stringify({ action }),
  });
  const p = await core.useCases.processMarketplaceEvent.execute({ eventId: r.eventId });
  return { ...r, ...p };
}

/** Read through a fresh transaction of the core's unit of work. */
export function read<T>(core: TestCore, fn: (tx: TransactionContext) => Promise<T>): Promise<T> {
  return core.ctx.uow.transaction(fn);
}

/**
 * Flow 3: a customer whose workspace is on Billing Center settlement returns from AWS signed in and settles
 * it through the new cloud account (from the next hour).
 */
export async function workspaceMovedToAws(core: TestCore, o: { siteId?: string } = {}) {
  seq += 1;
  const owner = await core.useCases.registerAccount.execute({
    username: `mover${seq}`,
    email: `mover${seq}@example.com`,
    password: 'correct horse battery',
    company: 'C',
  });
  const ws = await core.useCases.createWorkspace.execute({
    ownerAccountId: owner.id,
    name: 'Prod',
    language: 'en',
    siteId: o.siteId ?? 'us1',
    by: customer(owner.id),
  });
  const ticket = await core.useCases.openRegistrationTicket.execute({
    partition: 'aws',
    token: core.marketplace.issueToken(buyer()),
  });
  const res = await core.useCases.completeRegistrationForAccount.execute({
    ticketId: ticket.id,
    by: customer(owner.id),
    bindWorkspaceIds: [ws.id],
  });
  return { owner, workspace: ws, cloudAccount: res.cloudAccount, moved: res.workspaces[0]! };
}
