import { createVerify, X509Certificate } from 'node:crypto';
import {
  ConfirmSubscriptionCommand,
  CreateTopicCommand,
  PublishCommand,
  SubscribeCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import {
  CertificateUrlPolicy,
  HttpsCertificateFetcher,
  SigningCertificateCache,
  SnsMessageVerifier,
} from '@billing-center/aws-marketplace';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { snsStringToSign } from '../src/sns/sns-signature.js';
import {
  CHINA_PRODUCT,
  GLOBAL_PRODUCT,
  type ReceivedRequest,
  RecordingEndpoint,
  type RunningSimulator,
  startSimulator,
  subscribe,
} from './helpers.js';

let sim: RunningSimulator;
let endpoint: RecordingEndpoint;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(async () => {
  await sim.close();
});
beforeEach(async () => {
  sim.services.reset();
  endpoint = await new RecordingEndpoint().start();
});
afterEach(async () => {
  await sim.services.delivery.idle();
  await endpoint.stop();
});

const subscriptionTopic = () => sim.services.sns.marketplaceTopicArn(GLOBAL_PRODUCT, 'subscription');

/** Verifies a delivered body with Node's crypto, the certificate fetched from its SigningCertURL and SNS's string to sign. */
async function verifiesWithNodeCrypto(json: Record<string, string>): Promise<boolean> {
  const pem = await (await fetch(json.SigningCertURL!)).text();
  const verifier = createVerify(json.SignatureVersion === '1' ? 'RSA-SHA1' : 'RSA-SHA256');
  verifier.update(snsStringToSign(json as never), 'utf8');
  return verifier.verify(new X509Certificate(pem).publicKey, json.Signature!, 'base64');
}

/** Subscribes the recording endpoint to a topic and confirms with a GET of the SubscribeURL, as an endpoint would. */
async function subscribeAndConfirm(topicArn: string): Promise<ReceivedRequest> {
  const before = endpoint.received.length;
  await sim
    .sns()
    .send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'http', Endpoint: endpoint.url }));
  await endpoint.waitFor(before + 1);
  const confirmation = endpoint.received[before]!;
  const res = await fetch(confirmation.json.SubscribeURL!);
  expect(res.status).toBe(200);
  expect(await res.text()).toMatch(/<SubscriptionArn>arn:aws(-cn)?:sns:/);
  return confirmation;
}

describe('SNS signing certificate', () => {
  it('is served at /SimpleNotificationService-<id>.pem and is a self-signed RSA certificate for sns.amazonaws.com', async () => {
    const url = sim.services.sns.signingCertUrl;
    expect(url).toMatch(new RegExp(`^${sim.url}/SimpleNotificationService-[0-9a-f]{32}\\.pem$`));
    const res = await fetch(url);
    expect(res.status).toBe(200);
    const cert = new X509Certificate(await res.text());
    expect(cert.subject).toContain('CN=sns.amazonaws.com');
    expect(cert.publicKey.asymmetricKeyType).toBe('rsa');
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(new CertificateUrlPolicy({ trustedLocalCertificateOrigins: [sim.url] }).check(url).ok).toBe(true);
    expect((await fetch(`${sim.url}/SimpleNotificationService-0000.pem`)).status).toBe(404);
  });
});

describe('SNS subscriptions and Publish over the Query API', () => {
  it('Subscribe sends a signed SubscriptionConfirmation; a GET of the SubscribeURL confirms; Publish then delivers', async () => {
    const confirmation = await subscribeAndConfirm(subscriptionTopic());
    expect(confirmation.headers['x-amz-sns-message-type']).toBe('SubscriptionConfirmation');
    expect(confirmation.headers['content-type']).toBe('text/plain; charset=UTF-8');
    expect(confirmation.json).toMatchObject({
      Type: 'SubscriptionConfirmation',
      TopicArn: subscriptionTopic(),
      SignatureVersion: '1',
    });
    expect(confirmation.json.Token).toMatch(/^[0-9a-f]{128}$/);
    expect(await verifiesWithNodeCrypto(confirmation.json)).toBe(true);

    const published = await sim.sns().send(
      new PublishCommand({
        TopicArn: subscriptionTopic(),
        Subject: 'hello',
        Message: 'line one\nline two',
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'test' } },
      }),
    );
    await endpoint.waitFor(2);
    const note = endpoint.received[1]!;
    expect(note.json).toMatchObject({
      Type: 'Notification',
      MessageId: published.MessageId,
      TopicArn: subscriptionTopic(),
      Subject: 'hello',
      Message: 'line one\nline two',
    });
    expect(note.json.UnsubscribeURL).toContain('Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-east-1:');
    expect(note.json.MessageAttributes).toEqual({ kind: { Type: 'String', Value: 'test' } });
    expect(note.headers).toMatchObject({
      'x-amz-sns-message-type': 'Notification',
      'x-amz-sns-message-id': published.MessageId,
      'x-amz-sns-topic-arn': subscriptionTopic(),
      'content-type': 'text/plain; charset=UTF-8',
    });
    expect(note.headers['x-amz-sns-subscription-arn']).toMatch(/^arn:aws:sns:us-east-1:287250355862:/);
    expect(await verifiesWithNodeCrypto(note.json)).toBe(true);
    // A changed signed field no longer verifies.
    expect(await verifiesWithNodeCrypto({ ...note.json, Message: 'line one\nline tw0' })).toBe(false);
  });

  it('messages verify with the aws-marketplace SnsMessageVerifier trusting the simulator origin', async () => {
    await subscribeAndConfirm(subscriptionTopic());
    await sim.sns().send(new PublishCommand({ TopicArn: subscriptionTopic(), Message: '{"action":"x"}' }));
    await endpoint.waitFor(2);
    const verifier = new SnsMessageVerifier({
      allowedTopicArns: [subscriptionTopic()],
      certificates: new SigningCertificateCache(new HttpsCertificateFetcher({ allowHttp: true })),
      trustedLocalCertificateOrigins: [sim.url],
    });
    for (const r of endpoint.received) {
      const result = await verifier.verify(r.body);
      expect(result.ok, JSON.stringify(result)).toBe(true);
    }
    const tampered = endpoint.received[1]!.body.replace('{\\"action\\":\\"x\\"}', '{\\"action\\":\\"y\\"}');
    expect(tampered).not.toBe(endpoint.received[1]!.body);
    expect((await verifier.verify(tampered)).ok).toBe(false);
  });

  it('signs with SignatureVersion 2 (SHA256withRSA) when configured', async () => {
    const v2 = await startSimulator({ sns: { signatureVersion: '2' } });
    try {
      const topic = v2.services.sns.marketplaceTopicArn(GLOBAL_PRODUCT, 'subscription');
      await v2
        .sns()
        .send(new SubscribeCommand({ TopicArn: topic, Protocol: 'http', Endpoint: endpoint.url }));
      await endpoint.waitFor(1);
      const json = endpoint.received[0]!.json;
      expect(json.SignatureVersion).toBe('2');
      expect(await verifiesWithNodeCrypto(json)).toBe(true);
      expect(await verifiesWithNodeCrypto({ ...json, SignatureVersion: '1' })).toBe(false);
    } finally {
      await v2.close();
    }
  });

  it('ConfirmSubscription through the SDK confirms; an unconfirmed endpoint receives no notifications', async () => {
    await sim
      .sns()
      .send(
        new SubscribeCommand({ TopicArn: subscriptionTopic(), Protocol: 'http', Endpoint: endpoint.url }),
      );
    await endpoint.waitFor(1);
    await sim.sns().send(new PublishCommand({ TopicArn: subscriptionTopic(), Message: 'not yet' }));
    await sim.services.delivery.idle();
    expect(endpoint.received).toHaveLength(1);
    const { SubscriptionArn } = await sim.sns().send(
      new ConfirmSubscriptionCommand({
        TopicArn: subscriptionTopic(),
        Token: endpoint.received[0]?.json.Token ?? '',
      }),
    );
    expect(SubscriptionArn).toMatch(/^arn:aws:sns:us-east-1:287250355862:aws-mp-subscription-notification-/);
    await sim.sns().send(new PublishCommand({ TopicArn: subscriptionTopic(), Message: 'now' }));
    await endpoint.waitFor(2);
    expect(endpoint.received[1]!.json.Message).toBe('now');
    await expect(
      sim.sns().send(new ConfirmSubscriptionCommand({ TopicArn: subscriptionTopic(), Token: 'wrong' })),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });

  it('Unsubscribe sends an UnsubscribeConfirmation and stops deliveries', async () => {
    await subscribeAndConfirm(subscriptionTopic());
    const arn = sim.services.sns.listSubscriptions(subscriptionTopic())[0]!.arn;
    await sim.sns().send(new UnsubscribeCommand({ SubscriptionArn: arn }));
    await endpoint.waitFor(2);
    expect(endpoint.received[1]!.json.Type).toBe('UnsubscribeConfirmation');
    expect(await verifiesWithNodeCrypto(endpoint.received[1]!.json)).toBe(true);
    await sim.sns().send(new PublishCommand({ TopicArn: subscriptionTopic(), Message: 'gone' }));
    await sim.services.delivery.idle();
    expect(endpoint.received).toHaveLength(2);
  });

  it('CreateTopic makes a seller topic in the signing region; Publish to an unknown topic is NotFound', async () => {
    const { TopicArn } = await sim
      .sns('cn-northwest-1')
      .send(new CreateTopicCommand({ Name: 'billing-center-events' }));
    expect(TopicArn).toBe('arn:aws-cn:sns:cn-northwest-1:111122223333:billing-center-events');
    await subscribeAndConfirm(TopicArn!);
    const out = await sim
      .sns('cn-northwest-1')
      .send(new PublishCommand({ TopicArn, Message: 'domain event' }));
    expect(out.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    await expect(
      sim
        .sns()
        .send(new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:111122223333:nope', Message: 'x' })),
    ).rejects.toMatchObject({ name: 'NotFoundException' });
  });
});

describe('SNS API faults', () => {
  it('Publish can be throttled, or applied with its response lost', async () => {
    await subscribeAndConfirm(subscriptionTopic());
    sim.services.faults.update({ throttleNext: 1, targets: ['SNS.Publish'] });
    await expect(
      sim.sns().send(new PublishCommand({ TopicArn: subscriptionTopic(), Message: 'throttled' })),
    ).rejects.toMatchObject({ name: 'ThrottledException' });
    sim.services.faults.update({ loseResponseNext: 1 });
    await expect(
      sim.sns().send(new PublishCommand({ TopicArn: subscriptionTopic(), Message: 'lost answer' })),
    ).rejects.toBeTruthy();
    await endpoint.waitFor(2);
    expect(endpoint.received[1]?.json.Message).toBe('lost answer');
    expect(endpoint.received[1]?.headers['x-amz-sns-rawdelivery']).toBe('false');
    expect(sim.services.calls.query({ target: 'SNS.Publish' }).map((c) => c.outcome)).toEqual([
      'fault:throttle',
      'fault:lose-response',
    ]);
  });
});

describe('SNS delivery policy', () => {
  it('retries a failing endpoint (immediate retries, then backoff) until it answers 2xx', async () => {
    await subscribeAndConfirm(subscriptionTopic());
    endpoint.statuses = [500, 502, 503, 500];
    const { MessageId } = await sim
      .sns()
      .send(new PublishCommand({ TopicArn: subscriptionTopic(), Message: 'retry me' }));
    await endpoint.waitFor(2 + 4);
    await sim.services.delivery.idle();
    const [d] = sim.services.delivery.deliveries({ messageId: MessageId! });
    expect(d).toMatchObject({ status: 'delivered', attempts: 5, lastStatusCode: 200 });
    expect(endpoint.received.slice(1).every((r) => r.json.MessageId === MessageId)).toBe(true);
  });

  it('gives up after the last retry, and does not retry a 4xx answer', async () => {
    await subscribeAndConfirm(subscriptionTopic());
    endpoint.statuses = Array.from({ length: 10 }, () => 500);
    const failing = await sim
      .sns()
      .send(new PublishCommand({ TopicArn: subscriptionTopic(), Message: 'never' }));
    await sim.services.delivery.idle();
    // 1 attempt + 2 immediate + 2 backoff retries (FAST policy).
    expect(sim.services.delivery.deliveries({ messageId: failing.MessageId! })[0]).toMatchObject({
      status: 'failed',
      attempts: 5,
    });
    endpoint.statuses = [400];
    const refused = await sim
      .sns()
      .send(new PublishCommand({ TopicArn: subscriptionTopic(), Message: 'bad' }));
    await sim.services.delivery.idle();
    expect(sim.services.delivery.deliveries({ messageId: refused.MessageId! })[0]).toMatchObject({
      status: 'failed',
      attempts: 1,
      lastStatusCode: 400,
    });
  });

  it('retries when the endpoint is down (connection refused)', async () => {
    const down = await new RecordingEndpoint().start();
    const url = down.url;
    await down.stop();
    sim.services.sns.subscribe(subscriptionTopic(), 'http', url);
    await sim.services.delivery.idle();
    expect(sim.services.delivery.deliveries({ endpoint: url })[0]).toMatchObject({
      status: 'failed',
      attempts: 5,
    });
    expect(sim.services.delivery.deliveries({ endpoint: url })[0]?.lastError).toBeTruthy();
  });

  it('duplicate and out-of-order delivery faults', async () => {
    await subscribeAndConfirm(subscriptionTopic());
    sim.services.faults.update({ snsDuplicateNext: 1 });
    const dup = await sim.sns().send(new PublishCommand({ TopicArn: subscriptionTopic(), Message: 'twice' }));
    await endpoint.waitFor(3);
    await sim.services.delivery.idle();
    expect(endpoint.received.filter((r) => r.json.MessageId === dup.MessageId)).toHaveLength(2);

    sim.services.faults.update({ snsReorderNext: 3 });
    for (const m of ['first', 'second', 'third']) {
      await sim.sns().send(new PublishCommand({ TopicArn: subscriptionTopic(), Message: m }));
    }
    await endpoint.waitFor(6);
    await sim.services.delivery.idle();
    expect(endpoint.received.slice(3).map((r) => r.json.Message)).toEqual(['third', 'second', 'first']);
  });
});

describe('marketplace lifecycle messages', () => {
  it('publishes subscribe-success, unsubscribe-pending, unsubscribe-success and entitlement-updated with the documented bodies', async () => {
    await subscribeAndConfirm(subscriptionTopic());
    await subscribeAndConfirm(sim.services.sns.marketplaceTopicArn(GLOBAL_PRODUCT, 'entitlement'));
    const sub = subscribe(sim.services);
    sim.services.marketplace.cancel(sub.id);
    await endpoint.waitFor(2 + 3); // success, pending, and (after the 20 ms delay) unsubscribe-success
    sim.services.marketplace.setEntitlements(sub.id, [
      { dimension: 'workspaces', value: { IntegerValue: 5 }, expirationDate: null },
    ]);
    await endpoint.waitFor(6);
    await sim.services.delivery.idle();
    // Deliveries run concurrently, so their arrival order is not asserted: each action once, on its topic.
    const notes = endpoint.ofType('Notification');
    const byAction = new Map(notes.map((n) => [JSON.parse(n.json.Message!).action as string, n.json]));
    expect([...byAction.keys()].sort()).toEqual([
      'entitlement-updated',
      'subscribe-success',
      'unsubscribe-pending',
      'unsubscribe-success',
    ]);
    const note = (action: string): Record<string, string> => byAction.get(action) ?? {};
    const body = (action: string) => JSON.parse(note(action).Message ?? 'null');
    expect(body('subscribe-success')).toEqual({
      action: 'subscribe-success',
      'customer-identifier': sub.customerIdentifier,
      'product-code': GLOBAL_PRODUCT,
      'offer-identifier': 'offer-global0000000000001',
      isFreeTrialTermPresent: 'false',
    });
    for (const action of ['unsubscribe-pending', 'unsubscribe-success']) {
      expect(body(action)).toEqual({
        action,
        'customer-identifier': sub.customerIdentifier,
        'product-code': GLOBAL_PRODUCT,
        isFreeTrialTermPresent: 'false',
      });
      expect(note(action).TopicArn).toBe(subscriptionTopic());
    }
    expect(body('entitlement-updated')).toEqual({
      action: 'entitlement-updated',
      'customer-identifier': sub.customerIdentifier,
      'product-code': GLOBAL_PRODUCT,
    });
    expect(note('subscribe-success').TopicArn).toBe(
      'arn:aws:sns:us-east-1:287250355862:aws-mp-subscription-notification-bcglobal0000000000000001',
    );
    expect(note('entitlement-updated').TopicArn).toBe(
      'arn:aws:sns:us-east-1:287250355862:aws-mp-entitlement-notification-bcglobal0000000000000001',
    );
    for (const n of notes) expect(await verifiesWithNodeCrypto(n.json)).toBe(true);
    expect(sim.services.marketplace.subscription(sub.id)?.state).toBe('cancelled');
  });

  it('China topics live in the aws-cn partition, and configured endpoints are subscribed at start', async () => {
    expect(sim.services.sns.marketplaceTopicArn(CHINA_PRODUCT, 'subscription')).toBe(
      'arn:aws-cn:sns:cn-northwest-1:287250355862:aws-mp-subscription-notification-bcchina00000000000000001',
    );
    const configured = await startSimulator({
      sns: { subscriptions: [{ topics: 'all', endpoint: endpoint.url }] },
    });
    try {
      await endpoint.waitFor(4);
      expect(endpoint.received.map((r) => r.json.Type)).toEqual(Array(4).fill('SubscriptionConfirmation'));
      expect(new Set(endpoint.received.map((r) => r.json.TopicArn)).size).toBe(4);
    } finally {
      await configured.close();
    }
  });
});
