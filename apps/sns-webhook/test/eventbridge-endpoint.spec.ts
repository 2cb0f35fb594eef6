// POST /eventbridge (an EventBridge API destination) through app.inject, on SQLite and on PostgreSQL: the
// shared-secret header, the documented agreement and license events (shared/vectors/marketplace) mapped
// onto the same lifecycle commands through the same inbox, and bad input.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../src/app.js';
import { newBuyer, registerBuyer } from './support/customers.js';
import { marketplaceVector } from './support/vectors.js';
import {
  DATABASES,
  EVENTBRIDGE_SECRET,
  postEventBridge,
  startTestWebhook,
  type TestWebhook,
} from './support/webhook.js';

const PREVIOUS_SECRET = 'the-secret-before-the-rotation-0123456789';

/** A documented event with a fresh id and the given time and detail fields. */
function event(file: string, time: Date, detail: Record<string, unknown> = {}): string {
  const e = marketplaceVector(file) as { detail: Record<string, unknown> };
  return JSON.stringify({
    ...e,
    id: randomUUID(),
    time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    detail: { ...e.detail, ...detail },
  });
}

describe.each(DATABASES)('POST /eventbridge on $name', (db) => {
  let url: string;
  let w: TestWebhook;

  beforeAll(async () => {
    url = await db.open('eventbridge');
  });
  beforeEach(async () => {
    await db.clear(url);
    w = await startTestWebhook(url, { env: { EVENTBRIDGE_SHARED_SECRET_PREVIOUS: PREVIOUS_SECRET } });
  });
  afterEach(async () => {
    await w?.close();
  });

  const post = async (body: string, secret: string | null = EVENTBRIDGE_SECRET) => {
    const res = await postEventBridge(w.app, body, secret);
    await w.server.processor.drained();
    return res;
  };
  const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000);

  it('agreement created, then ended: the subscription starts, then every workspace is locked', async () => {
    const buyer = { ...newBuyer(), customerAwsAccountId: '845735284135', offerId: 'offer-1234567890123' };
    const { cloudAccount, workspaces } = await registerBuyer(w, buyer, 2);
    const agreement = { id: `agmt-${randomUUID().slice(0, 8)}` };
    const created = await post(
      event('eventbridge-purchase-agreement-created-manufacturer.json', at(3), {
        agreement: { ...agreement, status: 'ACTIVE', intent: 'NEW' },
      }),
    );
    expect(created.statusCode, created.body).toBe(200);
    expect(created.json().outcome).toBe('stored');
    expect((await w.read((tx) => tx.cloudAccounts.get(cloudAccount.id)))?.state).toBe('active');

    const ended = await post(
      event('eventbridge-purchase-agreement-ended-manufacturer.json', at(2), {
        agreement: { ...agreement, status: 'CANCELLED' },
      }),
    );
    expect(ended.statusCode).toBe(200);
    expect((await w.read((tx) => tx.cloudAccounts.get(cloudAccount.id)))?.state).toBe('cancelled');
    for (const ws of await w.read((tx) => tx.workspaces.getMany(workspaces.map((x) => x.id)))) {
      expect(ws.lockReason).toBe('cloud-subscription-cancelled');
    }
    expect((await w.events()).map((e) => [e.source, e.action, e.status])).toEqual([
      ['eventbridge', 'subscribe-success', 'processed'],
      ['eventbridge', 'unsubscribe-success', 'processed'],
    ]);
  });

  it('the license deprovisioned event ends the subscription of the license it names', async () => {
    const { buyer, cloudAccount } = await registerBuyer(w);
    const licenseId = /l-\w+$/.exec(buyer.licenseArn ?? '')?.[0];
    // documented without the leading "arn:", and matched on the l-… id
    await post(
      event('eventbridge-license-deprovisioned-manufacturer.json', at(2), {
        license: { arn: `aws:license-manager:us-east-1:123456789012:${licenseId}` },
        product: { code: buyer.productCode, id: 'prod-x' },
        acceptor: { accountId: buyer.customerAwsAccountId },
      }),
    );
    expect((await w.read((tx) => tx.cloudAccounts.get(cloudAccount.id)))?.state).toBe('cancelled');
  });

  it('is deduplicated by the event id, and the previous secret is accepted while rotating', async () => {
    const body = event('eventbridge-purchase-agreement-ended-manufacturer.json', at(1));
    const first = await post(body);
    const again = await post(body, PREVIOUS_SECRET);
    expect(first.json().outcome).toBe('stored');
    expect(again.json()).toMatchObject({ outcome: 'duplicate', eventId: first.json().eventId });
    expect(await w.events()).toHaveLength(1);
  });

  it('a detail type the seller does not act on (Proposer) is stored, alerted and acknowledged', async () => {
    const e = JSON.parse(event('eventbridge-purchase-agreement-created-manufacturer.json', at(1)));
    const res = await post(JSON.stringify({ ...e, 'detail-type': 'Purchase Agreement Created - Proposer' }));
    expect(res.statusCode).toBe(200);
    expect((await w.events())[0]).toMatchObject({
      rawAction: 'Purchase Agreement Created - Proposer',
      status: 'ignored',
    });
    const outbox = await w.read((tx) => tx.outbox.listDue(new Date(Date.now() + 60_000), 100));
    expect(outbox.map((m) => m.type)).toContain('marketplace-unknown-action');
  });

  describe('bad input', () => {
    const valid = () => event('eventbridge-license-updated-manufacturer.json', at(1));

    it.each([
      ['missing', null],
      ['wrong', 'x'.repeat(40)],
      ['almost right', `${EVENTBRIDGE_SECRET.slice(0, -1)}X`],
    ])('a %s shared secret: 401, nothing stored', async (_label, secret) => {
      const res = await post(valid(), secret);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ error: 'eventbridge-secret-invalid' });
      expect(await w.events()).toEqual([]);
    });

    it('malformed JSON: 400', async () => {
      const res = await post('{"detail-type": ');
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'marketplace-message-malformed' });
    });

    it('an event from another source: 400', async () => {
      const res = await post(JSON.stringify({ ...JSON.parse(valid()), source: 'aws.ec2' }));
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'marketplace-event-unknown-source' });
      expect(await w.events()).toEqual([]);
    });

    it('an event without its agreement: 400 naming the field', async () => {
      const e = JSON.parse(valid());
      delete e.detail.agreement;
      const res = await post(JSON.stringify(e));
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'marketplace-message-missing-field' });
      expect(res.json().message).toContain('detail.agreement.id');
    });

    it('a body over 256 KiB: 413', async () => {
      const res = await post(JSON.stringify({ padding: 'x'.repeat(MAX_BODY_BYTES) }));
      expect(res.statusCode).toBe(413);
    });
  });
});

describe('without EVENTBRIDGE_SHARED_SECRET', () => {
  it('the EventBridge endpoint is not served at all', async () => {
    const w = await startTestWebhook(':memory:', { env: { EVENTBRIDGE_SHARED_SECRET: '' } });
    try {
      const res = await postEventBridge(w.app, '{}', EVENTBRIDGE_SECRET);
      expect(res.statusCode).toBe(404);
    } finally {
      await w.close();
    }
  });
});
