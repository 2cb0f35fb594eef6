import { SubscribeCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  BUYER,
  CHINA_PRODUCT,
  GLOBAL_PRODUCT,
  RecordingEndpoint,
  type RunningSimulator,
  startSimulator,
  subscribe,
} from './helpers.js';

const SECRET = 'a-shared-secret-of-at-least-32-characters';
let sim: RunningSimulator;
let destination: RecordingEndpoint;
beforeAll(async () => {
  destination = await new RecordingEndpoint().start();
  sim = await startSimulator({
    unsubscribeDelayMs: 60_000,
    eventBridge: {
      apiDestinations: [
        { url: destination.url, headerName: 'x-marketplace-events-secret', headerValue: SECRET },
      ],
      snsTopicName: 'marketplace-agreement-events',
    },
  });
});
afterAll(async () => {
  await sim.close();
  await destination.stop();
});
beforeEach(() => {
  sim.services.reset();
  destination.received.length = 0;
});

interface EventJson {
  'detail-type': string;
  time: string;
  detail: { agreement: { id: string }; license: { arn: string } };
}
const events = () => destination.received.map((r) => r.json as unknown as EventJson);

describe('EventBridge agreement events', () => {
  it('a subscription posts Purchase Agreement Created and License Updated to the API destination, with the secret', async () => {
    const sub = subscribe(sim.services);
    await destination.waitFor(2);
    expect(destination.received.every((r) => r.headers['x-marketplace-events-secret'] === SECRET)).toBe(true);
    expect(destination.received[0]?.headers['content-type']).toBe('application/json');
    const byType = new Map(events().map((e) => [e['detail-type'], e]));
    const created = byType.get('Purchase Agreement Created - Manufacturer');
    expect(created).toMatchObject({
      version: '0',
      source: 'aws.agreement-marketplace',
      account: '111122223333',
      region: 'us-east-1',
      resources: [`arn:aws:aws-marketplace::aws:agreement:${sub.agreementId}`],
      detail: {
        catalog: 'AWSMarketplace',
        agreement: { id: sub.agreementId, intent: 'NEW', status: 'ACTIVE' },
        acceptor: { accountId: BUYER },
        proposer: { accountId: '111122223333' },
        offer: { id: 'offer-global0000000000001' },
      },
    });
    expect(sub.agreementId).toMatch(/^agmt-[a-z0-9]{25}$/);
    expect(created?.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const license = byType.get('License Updated - Manufacturer');
    const id = sub.licenseArn.split(':').pop();
    expect(license?.detail).toMatchObject({
      agreement: { id: sub.agreementId },
      product: { code: GLOBAL_PRODUCT },
      // The documented quirks: no leading `arn:`, an offer id without `offer-`.
      license: { arn: `aws:license-manager:us-east-1:111122223333:${id?.replace('license/', '')}` },
      offer: { id: 'global0000000000001' },
    });
    expect(license?.detail.license.arn).toMatch(
      /^aws:license-manager:us-east-1:111122223333:l-[0-9a-f]{32}$/,
    );
  });

  it('cancellation ends the agreement at unsubscribe-success; a resubscription creates a new agreement', async () => {
    const sub = subscribe(sim.services);
    const first = sub.agreementId;
    sim.services.marketplace.cancel(sub.id);
    sim.services.marketplace.completeCancellation(sub.id);
    sim.services.marketplace.resubscribe(sub.id);
    await destination.waitFor(6);
    await sim.services.poster.idle();
    expect(events().map((e) => [e['detail-type'], e.detail.agreement.id])).toEqual(
      expect.arrayContaining([
        ['Purchase Agreement Ended - Manufacturer', first],
        ['License Deprovisioned - Manufacturer', first],
        ['Purchase Agreement Created - Manufacturer', sub.agreementId],
      ]),
    );
    expect(sub.agreementId).not.toBe(first);
    const ended = events().find((e) => e['detail-type'] === 'Purchase Agreement Ended - Manufacturer');
    expect(ended?.detail.agreement).toEqual({ id: first, status: 'CANCELLED' });
    expect(sim.services.eventBridge.events()).toHaveLength(6);
    // Withdrawing a cancellation before unsubscribe-success keeps the agreement: no event.
    sim.services.marketplace.cancel(sub.id);
    sim.services.marketplace.resubscribe(sub.id);
    expect(sim.services.eventBridge.events()).toHaveLength(6);
  });

  it('events also go to the seller SNS topic of the partition, as the Message of a signed notification', async () => {
    const sns = await new RecordingEndpoint().start();
    try {
      const topicArn = sim.services.eventBridge.topicArn('aws-cn')!;
      expect(topicArn).toBe('arn:aws-cn:sns:cn-northwest-1:111122223333:marketplace-agreement-events');
      await sim
        .sns('cn-northwest-1')
        .send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'http', Endpoint: sns.url }));
      await sns.waitFor(1);
      await fetch(sns.received[0]?.json.SubscribeURL ?? '');
      subscribe(sim.services, CHINA_PRODUCT);
      await sns.waitFor(3);
      const messages = sns.ofType('Notification').map((n) => JSON.parse(n.json.Message!));
      expect(messages.map((m) => m['detail-type']).sort()).toEqual([
        'License Updated - Manufacturer',
        'Purchase Agreement Created - Manufacturer',
      ]);
      expect(messages[0].region).toBe('cn-northwest-1');
      expect(messages[0].resources[0]).toMatch(/^arn:aws-cn:aws-marketplace::aws:agreement:agmt-/);
    } finally {
      await sim.services.delivery.idle();
      await sns.stop();
    }
  });
});
