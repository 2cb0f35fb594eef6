// Inbound end to end: the simulator's marketplace topics deliver signed SNS messages to a local endpoint,
// which verifies them (the simulator's certificate trusted explicitly, as tests may) and parses them into
// the core's MarketplaceNotification — the path a real subscription takes, in both partitions.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SigningCertificateCache } from '../src/inbound/certificate-cache.js';
import { HttpsCertificateFetcher } from '../src/inbound/https-certificate-fetcher.js';
import { parseSnsMarketplaceNotification } from '../src/inbound/marketplace-notification.js';
import type { SnsEnvelope } from '../src/inbound/sns-message.js';
import { SnsMessageVerifier } from '../src/inbound/sns-verifier.js';
import {
  SIM_BUYERS,
  SIM_CHINA_PRODUCT,
  SIM_GLOBAL_PRODUCT,
  type SimSubscription,
  type SimulatorProcess,
  simulatorAvailable,
  startSimulatorProcess,
} from './support/simulator-process.js';

describe.skipIf(!simulatorAvailable())('marketplace messages from the simulator’s SNS topics', () => {
  let sim: SimulatorProcess;
  let server: Server;
  let endpoint: string;
  let verifier: SnsMessageVerifier;
  const received: SnsEnvelope[] = [];
  const refused: string[] = [];
  let topics: { arn: string; partition: string }[];

  beforeAll(async () => {
    sim = await startSimulatorProcess();
    topics = (await sim.admin<{ arn: string; partition: string }[]>('GET', '/_admin/sns/topics')).filter(
      (t) => /aws-mp-subscription-notification-/.test(t.arn),
    );
    verifier = new SnsMessageVerifier({
      allowedTopicArns: topics.map((t) => t.arn),
      certificates: new SigningCertificateCache(new HttpsCertificateFetcher({ allowHttp: true })),
      trustedLocalCertificateOrigins: [sim.url],
    });
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString('utf8');
      });
      req.on('end', async () => {
        const result = await verifier.verify(body);
        if (!result.ok) {
          refused.push(result.rejection.code);
          res.writeHead(400).end();
          return;
        }
        received.push(result.envelope);
        res.writeHead(200).end();
        if (result.envelope.Type === 'SubscriptionConfirmation') await fetch(result.envelope.SubscribeURL);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sns`;
    for (const t of topics)
      await sim.admin('POST', '/_admin/sns/subscriptions', { topicArn: t.arn, endpoint });
    await until(() => received.filter((e) => e.Type === 'SubscriptionConfirmation').length === topics.length);
  }, 150_000);

  afterAll(async () => {
    server?.closeAllConnections();
    server?.close();
    await sim?.close();
  });

  it('a subscription and its cancellation arrive as subscribe-success, unsubscribe-pending, unsubscribe-success', async () => {
    for (const productCode of [SIM_GLOBAL_PRODUCT, SIM_CHINA_PRODUCT]) {
      const sub = await sim.admin<SimSubscription>('POST', '/_admin/subscriptions', {
        productCode,
        buyerAccountId: SIM_BUYERS[1],
      });
      await sim.admin('POST', `/_admin/subscriptions/${sub.id}/cancel`);
      await sim.admin('POST', `/_admin/subscriptions/${sub.id}/complete-cancellation`);
      const forSub = () =>
        received
          .filter((e) => e.Type === 'Notification')
          .map((e) => parseSnsMarketplaceNotification(e as Extract<SnsEnvelope, { Type: 'Notification' }>))
          .flatMap((r) => (r.ok ? [r.notification] : []))
          .filter((n) => n.customerIdentifier === sub.customerIdentifier);
      await until(
        () => forSub().length === 3,
        30_000,
        // on a time-out: what arrived, and what the simulator says of its deliveries to us
        async () =>
          `received ${JSON.stringify(forSub().map((n) => n.action))}, refused ${JSON.stringify(refused)}; deliveries: ${JSON.stringify(
            (await sim.admin<Array<Record<string, unknown>>>('GET', '/_admin/sns/deliveries'))
              .filter((d) => d.endpoint === endpoint && d.type === 'Notification')
              .map((d) => [d.topicArn, d.status, d.attempts, d.lastStatusCode, d.lastError]),
          )}`,
      );
      const notifications = forSub().sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime());
      expect(new Set(notifications.map((n) => n.action))).toEqual(
        new Set(['subscribe-success', 'unsubscribe-pending', 'unsubscribe-success']),
      );
      for (const n of notifications) {
        expect(n).toMatchObject({
          source: 'sns',
          partition: sub.partition,
          productCode,
          customerIdentifier: sub.customerIdentifier,
          freeTrial: false,
        });
        expect(n.topicArn).toMatch(sub.partition === 'aws-cn' ? /^arn:aws-cn:sns:cn-/ : /^arn:aws:sns:/);
      }
      const success = notifications.find((n) => n.action === 'subscribe-success');
      expect(success?.offerId).toBe(sub.offerId);
    }
    expect(refused).toEqual([]);
  });
});

/** Polls `done`; on a time-out, `why` (if given) says what was seen instead. */
async function until(done: () => boolean, timeoutMs = 15_000, why?: () => Promise<string>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for SNS deliveries${why ? `: ${await why()}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
