// End to end over HTTP with the AWS Marketplace simulator as its own process, on SQLite and on PostgreSQL:
// the simulator's SNS topics deliver signed messages to the listening webhook (its certificate trusted by
// origin, as a test configuration may), its EventBridge posts go to the API-destination endpoint, and the
// registration token is resolved by the real AWS SDK adapter against it.
//
// subscribe → confirmation → activation → cancellation → every bound workspace locked within one second of
// the unsubscribe-success delivery; a store that fails is answered 503 and SNS's retry stores it once.
import type { CloudAccount, UseCases, Workspace } from '@billing-center/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CHINA_SUBSCRIPTION_TOPIC,
  ENTITLEMENT_TOPIC,
  GLOBAL_PRODUCT,
  SUBSCRIPTION_TOPIC,
} from './support/signing.js';
import {
  freePort,
  SIM_BUYERS,
  type SimDelivery,
  type SimSubscription,
  type SimulatorProcess,
  simulatorAvailable,
  startSimulatorProcess,
} from './support/simulator-process.js';
import { DATABASES, EVENTBRIDGE_SECRET, startTestWebhook, type TestWebhook } from './support/webhook.js';

const TOPICS = [SUBSCRIPTION_TOPIC, ENTITLEMENT_TOPIC, CHINA_SUBSCRIPTION_TOPIC];

describe.skipIf(!simulatorAvailable()).each(DATABASES)('end to end with the simulator on $name', (db) => {
  let sim: SimulatorProcess;
  let w: TestWebhook;
  let endpoint: string;
  const buyer = db.name === 'SQLite' ? SIM_BUYERS[0] : SIM_BUYERS[1];

  beforeAll(async () => {
    const port = await freePort();
    sim = await startSimulatorProcess({
      AWS_SIMULATOR_EVENTBRIDGE_URL: `http://127.0.0.1:${port}/eventbridge`,
      AWS_SIMULATOR_EVENTBRIDGE_SECRET: EVENTBRIDGE_SECRET,
      // the cancellation completes when the test says so
      AWS_SIMULATOR_UNSUBSCRIBE_DELAY_MS: '600000',
    });
    // the SDK's standard credential chain, as in production; the simulator accepts any signature
    process.env.AWS_ACCESS_KEY_ID = 'AKIDSIMULATOR';
    process.env.AWS_SECRET_ACCESS_KEY = 'simulator-secret';
    w = await startTestWebhook(await db.open('simulator'), {
      realAws: true,
      env: {
        SNS_TOPIC_ARNS: TOPICS.join(','),
        SNS_TRUST_LOCAL_ORIGINS: sim.url,
        AWS_MARKETPLACE_ENDPOINT: sim.url,
      },
    });
    endpoint = `${await w.server.start(port, '127.0.0.1')}/sns`;
  }, 150_000);

  afterAll(async () => {
    await w?.close();
    await sim?.close();
  });

  const cloudAccountOf = (id: string) => w.read((tx) => tx.cloudAccounts.get(id));
  const workspacesOf = (ids: string[]) => w.read((tx) => tx.workspaces.getMany(ids));

  it('confirms its subscription to every allow-listed topic through the SubscribeURL', async () => {
    for (const topicArn of TOPICS)
      await sim.admin('POST', '/_admin/sns/subscriptions', { topicArn, endpoint });
    await until(async () => {
      const subs = await sim.admin<Array<{ endpoint: string; confirmed: boolean }>>(
        'GET',
        '/_admin/sns/subscriptions',
      );
      return subs.filter((s) => s.endpoint === endpoint && s.confirmed).length === TOPICS.length;
    });
  });

  let subscription: SimSubscription;
  let cloudAccount: CloudAccount;
  let workspaces: Workspace[];

  it('subscribe and register: the buyer’s workspaces are settled by an active cloud account', async () => {
    subscription = await sim.admin<SimSubscription>('POST', '/_admin/subscriptions', {
      productCode: GLOBAL_PRODUCT,
      buyerAccountId: buyer,
    });
    const { token } = await sim.admin<{ token: string }>(
      'POST',
      `/_admin/subscriptions/${subscription.id}/tokens`,
    );
    ({ cloudAccount, workspaces } = await register(w.useCases, token, 3));
    // subscribe-success may have arrived before the registration (parked) or after: active either way
    await until(async () => (await cloudAccountOf(cloudAccount.id))?.state === 'active');
    for (const ws of await workspacesOf(workspaces.map((x) => x.id))) {
      expect(ws.method).toEqual({ kind: 'cloud-account', cloudAccountId: cloudAccount.id });
    }
  });

  it('cancel: unsubscribe-pending, then every bound workspace is locked within 1 s of unsubscribe-success', async () => {
    await sim.admin('POST', `/_admin/subscriptions/${subscription.id}/cancel`);
    await until(async () => (await cloudAccountOf(cloudAccount.id))?.state === 'unsubscribe-pending');

    await sim.admin('POST', `/_admin/subscriptions/${subscription.id}/complete-cancellation`);
    const ids = workspaces.map((x) => x.id);
    await until(async () => (await workspacesOf(ids)).every((ws) => ws.lockReason !== null), 10_000, 5);
    // Measured on the webhook's own clock, from receiving the unsubscribe-success that ended the
    // subscription (by SNS or EventBridge, whichever came first) to each workspace's lock.
    const ending = (await w.events()).find((e) => e.outcome?.endsWith('->cancelled'));
    expect(ending?.action).toBe('unsubscribe-success');
    for (const ws of await workspacesOf(ids)) {
      expect(ws.lockReason).toBe('cloud-subscription-cancelled');
      expect(ws.method).toBeNull();
      const ms = (ws.lockedAt?.getTime() ?? Number.POSITIVE_INFINITY) - (ending?.receivedAt.getTime() ?? 0);
      expect(ms).toBeGreaterThanOrEqual(0);
      expect(ms).toBeLessThan(1_000);
    }
    expect((await cloudAccountOf(cloudAccount.id))?.state).toBe('cancelled');

    // every SNS delivery and EventBridge post was acknowledged
    await until(async () => {
      const deliveries = await sim.admin<SimDelivery[]>(
        'GET',
        `/_admin/sns/deliveries?endpoint=${encodeURIComponent(endpoint)}`,
      );
      return deliveries.every((d) => d.status === 'delivered');
    });
    const events = await w.events();
    expect(events.filter((e) => e.source === 'eventbridge').length).toBeGreaterThan(0);
    expect(events.filter((e) => e.source === 'sns').map((e) => e.action)).toEqual(
      expect.arrayContaining(['subscribe-success', 'unsubscribe-pending', 'unsubscribe-success']),
    );
  });

  it('a message that cannot be stored is answered 503; SNS’s retry stores it exactly once', async () => {
    w.faults.only = (e) => e.source === 'sns';
    w.faults.failNextInserts = 1;
    await sim.admin('POST', `/_admin/subscriptions/${subscription.id}/resubscribe`);
    await until(async () => w.faults.failures.length === 1);
    const failed = w.faults.failures[0] as string;
    // the simulator saw the 503 and delivered the same message again, which was stored once
    await until(async () => {
      const [d] = await sim.admin<SimDelivery[]>('GET', `/_admin/sns/deliveries?messageId=${failed}`);
      return d?.status === 'delivered';
    });
    const [delivery] = await sim.admin<SimDelivery[]>('GET', `/_admin/sns/deliveries?messageId=${failed}`);
    expect(delivery).toMatchObject({ type: 'Notification', attempts: 2, lastStatusCode: 200 });
    const stored = (await w.events()).filter((e) => e.messageId === failed);
    expect(stored.map((e) => [e.source, e.action])).toEqual([['sns', 'subscribe-success']]);

    // resubscribing re-binds and unlocks exactly what the cancellation locked
    const ids = workspaces.map((x) => x.id);
    await until(
      async () => (await cloudAccountOf(cloudAccount.id))?.state === 'active',
      15_000,
      20,
      // a failure here (seen once, under a whole-suite run on Node 24) should say what became of the messages
      async () =>
        `cloud account ${(await cloudAccountOf(cloudAccount.id))?.state}; messages: ${JSON.stringify(
          (await w.events()).map((e) => [e.action, e.status, e.outcome, e.lastError ?? null]),
        )}`,
    );
    await until(async () => (await workspacesOf(ids)).every((ws) => ws.lockReason === null));
    for (const ws of await workspacesOf(ids)) {
      expect(ws.method).toEqual({ kind: 'cloud-account', cloudAccountId: cloudAccount.id });
    }
  });
});

async function register(useCases: UseCases, token: string, count: number) {
  const ticket = await useCases.openRegistrationTicket.execute({ partition: 'aws', token });
  const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const done = await useCases.completeRegistrationAsNewAccount.execute({
    ticketId: ticket.id,
    account: {
      username: `sim${suffix}`,
      email: `sim${suffix}@example.com`,
      password: 'correct horse battery staple',
      company: 'Simulated Buyer',
    },
    workspace: { name: 'Production', language: 'en', siteId: 'us1' },
    termsAccepted: true,
  });
  const workspaces = [...done.workspaces];
  for (let i = 1; i < count; i += 1) {
    workspaces.push(
      await useCases.createWorkspace.execute({
        ownerAccountId: done.account.id,
        name: `Workspace ${i + 1}`,
        language: 'en',
        siteId: 'us1',
        method: { kind: 'cloud-account', cloudAccountId: done.cloudAccount.id },
        by: { type: 'customer', accountId: done.account.id },
      }),
    );
  }
  return { cloudAccount: done.cloudAccount, workspaces };
}

/** Polls `done`; on time out, `why` (if given) says what was seen instead. */
async function until(
  done: () => Promise<boolean>,
  timeoutMs = 15_000,
  everyMs = 20,
  why?: () => Promise<string>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting${why ? `: ${await why()}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
