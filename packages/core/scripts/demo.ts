/**
 * pnpm start (at this stage): a scripted walk-through of the documented flows on the in-memory adapters,
 * printing what the Billing Center does at each step. No server runs yet; the apps come with their issues.
 */
import { type Actor, isDomainError } from '../src/index.js';
import { createTestCore } from '../src/testing/index.js';

const core = createTestCore({ now: '2026-11-02T09:40:00Z' });
const uc = core.useCases;
const say = (s: string) => console.log(`\n▸ ${s}`);
const show = (label: string, v: unknown) =>
  console.log(`  ${label}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
const at = (iso: string) => core.clock.set(iso);
const buyerOf = (n: number) => ({
  partition: 'aws' as const,
  productCode: 'prodglobal0001',
  customerIdentifier: null,
  customerAwsAccountId: `11112222333${n}`,
  licenseArn: `arn:aws:license-manager::11112222333${n}:license:l-demo${n}`,
});
const sns = async (b: ReturnType<typeof buyerOf>, action: string, id: string) => {
  const r = await uc.receiveMarketplaceEvent.execute({
    source: 'sns',
    messageId: id,
    action,
    occurredAt: core.clock.now(),
    payload: '{}',
    ...b,
  });
  return uc.processMarketplaceEvent.execute({ eventId: r.eventId });
};

say('Flow 1 — first registration with "Amazon Cloud Store Activation"');
const b1 = buyerOf(1);
const token = core.marketplace.issueToken(b1);
show('AWS posts x-amzn-marketplace-token; ResolveCustomer answers', {
  customerAwsAccountId: b1.customerAwsAccountId,
  productCode: b1.productCode,
});
const ticket = await uc.openRegistrationTicket.execute({ partition: 'aws', token });
show(
  'the browser is sent to the Billing Center with an opaque ticket',
  `${ticket.id.slice(0, 8)}… (expires ${ticket.expiresAt.toISOString()})`,
);
const early = await sns(b1, 'subscribe-success', 'demo-1');
show('subscribe-success arrived before the form was sent', `${early.status}: ${early.outcome}`);
const reg = await uc.completeRegistrationAsNewAccount.execute({
  ticketId: ticket.id,
  account: {
    username: 'alice',
    email: 'alice@example.com',
    password: 'correct horse battery staple',
    company: 'Example Co',
  },
  workspace: { name: 'Production', language: 'en' },
  termsAccepted: true,
});
const alice: Actor = { type: 'customer', accountId: reg.account.id };
show('account', reg.account.username);
show(
  'cloud account',
  `${reg.cloudAccount.id} — ${(await uc.getRegistrationTicket.execute({ ticketId: ticket.id })).status} ticket; parked event applied`,
);
show(
  'workspace',
  `${reg.workspaces[0]?.name} on ${reg.workspaces[0]?.siteId}, settled by ${reg.workspaces[0]?.cloudAccountId}`,
);

say('Flow 4 — bind more workspaces to the registered AWS account');
const staging = await uc.createWorkspace.execute({
  ownerAccountId: reg.account.id,
  name: 'Staging',
  language: 'en',
  siteId: 'eu1',
  by: alice,
});
const china = await uc.createWorkspace.execute({
  ownerAccountId: reg.account.id,
  name: 'China',
  language: 'zh',
  siteId: 'cn2',
  by: alice,
});
try {
  await uc.bindWorkspaces.execute({
    cloudAccountId: reg.cloudAccount.id,
    workspaceIds: [staging.id, china.id],
    by: alice,
  });
} catch (e) {
  if (!isDomainError(e)) throw e;
  show('all or nothing — refused', `${e.code}: ${JSON.stringify(e.details?.failures)}`);
}
const [bound] = await uc.bindWorkspaces.execute({
  cloudAccountId: reg.cloudAccount.id,
  workspaceIds: [staging.id],
  by: alice,
});
show('Staging is settled by the AWS account from', bound?.billingMethodEffectiveFrom.toISOString());

say('Metering — usage pushed by the platform, one hour sealed and sent with BatchMeterUsage');
at('2026-11-02T10:20:00Z');
const usage = await uc.recordUsage.execute({
  records: [
    {
      idempotencyKey: 'd1',
      workspaceId: reg.workspaces[0]?.id ?? '',
      itemCode: 'log-events',
      hour: '2026-11-02T10:00:00Z',
      quantity: 12_500_000,
    },
    {
      idempotencyKey: 'd2',
      workspaceId: staging.id,
      itemCode: 'log-events',
      hour: '2026-11-02T10:00:00Z',
      quantity: 2_000_000,
    },
    {
      idempotencyKey: 'd3',
      workspaceId: staging.id,
      itemCode: 'hosts',
      hour: '2026-11-02T10:00:00Z',
      quantity: 12,
    },
    {
      idempotencyKey: 'd1',
      workspaceId: reg.workspaces[0]?.id ?? '',
      itemCode: 'log-events',
      hour: '2026-11-02T10:00:00Z',
      quantity: 12_500_000,
    },
  ],
  by: { type: 'platform', keyId: 'demo' },
});
show(
  'ingestion results',
  usage.map((u) => u.result),
);
at('2026-11-02T11:01:00Z');
show('planned', await uc.planMetering.execute());
core.marketplace.loseNextResponses = 1;
show('first send: the response is lost', await uc.submitMetering.execute({ workerId: 'worker-1' }));
core.clock.advance(130_000);
show(
  'after the lease: the identical records again',
  await uc.submitMetering.execute({ workerId: 'worker-2' }),
);
show(
  'AWS holds',
  core.marketplace
    .accepted()
    .map((r) => ({ dimension: r.dimension, quantity: r.quantity, allocations: r.allocations.length })),
);

say('Flow 5 — cancel on AWS');
at('2026-11-02T12:10:00Z');
show('unsubscribe-pending', (await sns(b1, 'unsubscribe-pending', 'demo-2')).outcome);
show('final partial hour sealed at once', await uc.planMetering.execute());
at('2026-11-02T12:40:00Z');
show('unsubscribe-success', (await sns(b1, 'unsubscribe-success', 'demo-3')).outcome);
const locked = await core.db.transaction((tx) =>
  tx.workspaces.list({ ownerAccountId: reg.account.id, locked: true }, { limit: 10 }),
);
show(
  'locked workspaces',
  locked.items.map(
    (w) => `${w.name} (${w.lockReason}, grace until ${w.lockGraceEndsAt?.toISOString().slice(0, 10)})`,
  ),
);
await uc.dispatchOutbox.execute({ limit: 100 });
show(
  'owner notified',
  core.notifier.owners.map((n) => n.template),
);

say('Flow 6 — unlock');
const unlocked = await uc.unlockWorkspace.execute({
  workspaceId: staging.id,
  method: { kind: 'billing-center' },
  by: alice,
});
show(
  'Staging unlocked by choosing Billing Center settlement from',
  unlocked.billingMethodEffectiveFrom.toISOString(),
);
at('2026-11-03T09:00:00Z');
show('re-subscribing the same AWS account', (await sns(b1, 'subscribe-success', 'demo-4')).outcome);
const prod = await core.db.transaction((tx) => tx.workspaces.get(reg.workspaces[0]?.id ?? ''));
show('Production is re-bound and unlocked', { lock: prod?.lockReason, cloudAccountId: prod?.cloudAccountId });

const audit = await core.db.transaction((tx) => tx.audit.listForAccount(reg.account.id, { limit: 100 }));
say(
  `Audit trail of alice: ${audit.items.length} entries, e.g. ${audit.items
    .slice(0, 4)
    .map((e) => e.action)
    .join(', ')}`,
);
console.log(
  '\nThe same flows run over HTTP with `pnpm start` (REST API, SNS webhook and the AWS simulator); the worker and the console come with their own issues.',
);
