// POST /sns through app.inject, on SQLite and on PostgreSQL: store then acknowledge, the lifecycle through
// the core's inbox, and every kind of bad input (answered with its status and code, with no side effect).
import { randomUUID } from 'node:crypto';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../src/app.js';
import { newBuyer, registerBuyer } from './support/customers.js';
import {
  marketplaceMessage,
  SUBSCRIPTION_TOPIC,
  signedBody,
  signedNotification,
  subscriptionMessage,
  TEST_CERT_URL,
  TEST_SIGNER_ORIGIN,
} from './support/signing.js';
import { DATABASES, postSns, startTestWebhook, type TestWebhook } from './support/webhook.js';

describe.each(DATABASES)('POST /sns on $name', (db) => {
  let url: string;
  let w: TestWebhook;

  beforeAll(async () => {
    url = await db.open('sns_endpoint');
  });
  beforeEach(async () => {
    await db.clear(url);
    w = await startTestWebhook(url);
  });
  afterEach(async () => {
    await w?.close();
  });

  const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000);
  const deliver = async (body: string, contentType?: string) => {
    const res = await postSns(w.app, body, contentType);
    await w.server.processor.drained();
    return res;
  };
  const outbox = () => w.read((tx) => tx.outbox.listDue(new Date(Date.now() + 3_600_000), 1000));
  const nothingStored = async () => expect(await w.events()).toEqual([]);

  describe('a Notification', () => {
    it('is stored, acknowledged, then acted on: subscribe-success activates the cloud account', async () => {
      const { buyer, cloudAccount } = await registerBuyer(w);
      const messageId = randomUUID();
      const res = await deliver(
        signedNotification({
          messageId,
          message: marketplaceMessage('subscribe-success', buyer),
          timestamp: at(1),
        }),
      );
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ outcome: 'stored', messageId });
      expect(res.headers['x-request-id']).toMatch(/\S/);
      const [event] = await w.events();
      expect(event).toMatchObject({ messageId, action: 'subscribe-success', status: 'processed' });
      expect(event?.cloudAccountId).toBe(cloudAccount.id);
      const ca = await w.read((tx) => tx.cloudAccounts.get(cloudAccount.id));
      expect(ca?.state).toBe('active');
    });

    it('accepts application/json as well as text/plain, and stores a redelivery once', async () => {
      const { buyer } = await registerBuyer(w);
      const body = signedNotification({
        message: marketplaceMessage('subscribe-success', buyer),
        timestamp: at(2),
      });
      const first = await deliver(body, 'application/json');
      const again = await deliver(body, 'text/plain; charset=UTF-8');
      expect([first.statusCode, again.statusCode]).toEqual([200, 200]);
      expect(first.json().outcome).toBe('stored');
      expect(again.json()).toMatchObject({ outcome: 'duplicate', eventId: first.json().eventId });
      expect(await w.events()).toHaveLength(1);
    });

    it('unsubscribe-success unlinks and locks every workspace of the cloud account, and queues the notices', async () => {
      const { buyer, cloudAccount, workspaces, accountId } = await registerBuyer(w, undefined, 3);
      await deliver(
        signedNotification({ message: marketplaceMessage('subscribe-success', buyer), timestamp: at(5) }),
      );
      await deliver(
        signedNotification({ message: marketplaceMessage('unsubscribe-pending', buyer), timestamp: at(4) }),
      );
      const res = await deliver(
        signedNotification({ message: marketplaceMessage('unsubscribe-success', buyer), timestamp: at(3) }),
      );
      expect(res.statusCode).toBe(200);
      expect((await w.read((tx) => tx.cloudAccounts.get(cloudAccount.id)))?.state).toBe('cancelled');
      const after = await w.read((tx) => tx.workspaces.getMany(workspaces.map((x) => x.id)));
      expect(after).toHaveLength(3);
      for (const ws of after) {
        expect(ws.lockReason).toBe('cloud-subscription-cancelled');
        expect(ws.method).toBeNull();
      }
      const queued = await outbox();
      expect(queued.filter((m) => m.type === 'workspace.locked')).toHaveLength(3);
      expect(
        queued.find((m) => m.kind === 'owner-notification' && m.type === 'cloud-subscription-cancelled')
          ?.payload,
      ).toMatchObject({ accountId, cloudAccountId: cloudAccount.id });
    });

    it('for a buyer who has not registered yet is parked, and applied when the registration completes', async () => {
      const buyer = newBuyer();
      await deliver(
        signedNotification({ message: marketplaceMessage('subscribe-success', buyer), timestamp: at(3) }),
      );
      expect((await w.events()).map((e) => e.status)).toEqual(['parked']);
      const { cloudAccount } = await registerBuyer(w, buyer);
      expect((await w.read((tx) => tx.cloudAccounts.get(cloudAccount.id)))?.state).toBe('active');
      expect((await w.events()).map((e) => e.status)).toEqual(['processed']);
    });

    it('with an unknown action is stored, alerted and acknowledged, changes nothing, and is never retried', async () => {
      const { buyer, cloudAccount } = await registerBuyer(w);
      const res = await deliver(
        signedNotification({ message: marketplaceMessage('subscribe-maybe', buyer) }),
      );
      expect(res.statusCode).toBe(200);
      const [event] = await w.events();
      expect(event).toMatchObject({ rawAction: 'subscribe-maybe', action: null, status: 'ignored' });
      expect((await w.read((tx) => tx.cloudAccounts.get(cloudAccount.id)))?.state).toBe('pending');
      expect((await outbox()).map((m) => [m.kind, m.type])).toContainEqual([
        'operator-alert',
        'marketplace-unknown-action',
      ]);
      // the sweep does not pick it up again
      await w.server.processor.sweep();
      expect((await w.events())[0]).toMatchObject({ status: 'ignored', attempts: 1 });
    });

    it('that is authentic but no marketplace message is stored for operators, alerted and acknowledged', async () => {
      const res = await deliver(signedNotification({ message: 'Hello\r\nworld!', subject: 'Greetings' }));
      expect(res.statusCode).toBe(200);
      const [event] = await w.events();
      expect(event).toMatchObject({
        rawAction: 'unreadable:marketplace-message-malformed',
        status: 'ignored',
        payload: 'Hello\r\nworld!',
      });
      expect((await outbox()).some((m) => m.type === 'marketplace-unknown-action')).toBe(true);
    });

    it('is answered 503 when it cannot be stored, and the redelivery is stored exactly once', async () => {
      const { buyer, cloudAccount } = await registerBuyer(w);
      const body = signedNotification({
        message: marketplaceMessage('subscribe-success', buyer),
        timestamp: at(1),
      });
      w.faults.failNextInserts = 1;
      const failed = await deliver(body);
      expect(failed.statusCode).toBe(503);
      expect(failed.json()).toMatchObject({ error: 'storage-unavailable' });
      expect(failed.headers['retry-after']).toBe('5');
      await nothingStored();
      expect((await w.read((tx) => tx.cloudAccounts.get(cloudAccount.id)))?.state).toBe('pending');

      const retried = await deliver(body);
      const duplicate = await deliver(body);
      expect([retried.statusCode, duplicate.statusCode]).toEqual([200, 200]);
      expect(duplicate.json().outcome).toBe('duplicate');
      expect(await w.events()).toHaveLength(1);
      expect((await w.read((tx) => tx.cloudAccounts.get(cloudAccount.id)))?.state).toBe('active');
    });
  });

  describe('bad input', () => {
    it('malformed JSON: 400 sns-malformed, nothing stored, nothing fetched', async () => {
      const res = await deliver('{"Type": "Notification", ');
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'sns-malformed' });
      await nothingStored();
      expect(w.fetcher.calls).toEqual([]);
    });

    it('a body over 256 KiB: 413, nothing stored', async () => {
      const res = await postSns(w.app, JSON.stringify({ Message: 'x'.repeat(MAX_BODY_BYTES) }));
      expect(res.statusCode).toBe(413);
      expect(res.json()).toMatchObject({ error: 'body-too-large' });
      await nothingStored();
    });

    it('a JSON envelope without a signature: 400 naming the field', async () => {
      const res = await deliver(JSON.stringify({ Type: 'Notification', MessageId: 'm-1' }));
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'sns-missing-field' });
      await nothingStored();
    });

    it('another media type: 415', async () => {
      const res = await postSns(w.app, 'Type=Notification', 'application/x-www-form-urlencoded');
      expect(res.statusCode).toBe(415);
      expect(res.json()).toMatchObject({ error: 'unsupported-media-type' });
    });

    it('a forged message (one signed field changed): 403, no side effect, nothing fetched but the SNS certificate', async () => {
      const { buyer, cloudAccount } = await registerBuyer(w);
      const genuine = JSON.parse(
        signedNotification({ message: marketplaceMessage('subscribe-success', buyer) }),
      );
      const forged = JSON.stringify({
        ...genuine,
        Message: marketplaceMessage('unsubscribe-success', buyer),
      });
      const res = await deliver(forged);
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ error: 'sns-signature-invalid' });
      await nothingStored();
      expect((await w.read((tx) => tx.cloudAccounts.get(cloudAccount.id)))?.state).toBe('pending');
      expect(w.fetcher.calls.every((u) => u === TEST_CERT_URL)).toBe(true);
      expect(w.http.urls).toEqual([]);
    });

    it('a certificate URL on a host of the sender’s choosing: 403 before any fetch', async () => {
      const genuine = JSON.parse(signedNotification({ message: '{}' }));
      for (const certUrl of [
        'https://attacker.example/SimpleNotificationService-abc.pem',
        'https://sns.us-east-1.amazonaws.com.attacker.example/SimpleNotificationService-abc.pem',
        'http://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem',
      ]) {
        const res = await deliver(JSON.stringify({ ...genuine, SigningCertURL: certUrl }));
        expect(res.statusCode).toBe(403);
        expect(res.json()).toMatchObject({ error: 'sns-certificate-url-refused' });
      }
      expect(w.fetcher.calls).toEqual([]);
      await nothingStored();
    });

    it('a topic that is not allow-listed: 403, nothing fetched', async () => {
      const res = await deliver(
        signedNotification({ message: '{}', topicArn: 'arn:aws:sns:us-east-1:123456789012:someone-else' }),
      );
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ error: 'sns-topic-not-allowed' });
      expect(w.fetcher.calls).toEqual([]);
      await nothingStored();
    });

    it('a replay older than an hour: 403', async () => {
      const res = await deliver(signedNotification({ message: '{}', timestamp: at(90) }));
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ error: 'sns-timestamp-out-of-window' });
      await nothingStored();
    });

    it('a signing certificate that cannot be fetched now: 503 so that SNS delivers it again', async () => {
      const genuine = JSON.parse(signedNotification({ message: '{}' }));
      const res = await deliver(
        JSON.stringify({
          ...genuine,
          SigningCertURL: `${TEST_SIGNER_ORIGIN}/SimpleNotificationService-gone.pem`,
        }),
      );
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ error: 'sns-certificate-unavailable' });
      expect(res.headers['retry-after']).toBe('30');
      await nothingStored();
    });
  });

  describe('subscription handshake', () => {
    it('confirms an allow-listed topic by a GET of exactly its SubscribeURL', async () => {
      const token = 'f'.repeat(128);
      const res = await deliver(subscriptionMessage('SubscriptionConfirmation', { token }));
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ outcome: 'subscription-confirmed' });
      expect(w.http.urls).toEqual([
        `${TEST_SIGNER_ORIGIN}/?Action=ConfirmSubscription&TopicArn=${SUBSCRIPTION_TOPIC}&Token=${token}`,
      ]);
      await nothingStored();
    });

    it('never fetches a SubscribeURL that is not the SNS endpoint of the topic, with its own topic and token', async () => {
      const token = 'e'.repeat(64);
      const bad = [
        `https://attacker.example/?Action=ConfirmSubscription&TopicArn=${SUBSCRIPTION_TOPIC}&Token=${token}`,
        `https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${SUBSCRIPTION_TOPIC}&Token=${token}`,
        `${TEST_SIGNER_ORIGIN}/?Action=ConfirmSubscription&TopicArn=${SUBSCRIPTION_TOPIC}&Token=other`,
        `${TEST_SIGNER_ORIGIN}/?Action=Unsubscribe&TopicArn=${SUBSCRIPTION_TOPIC}&Token=${token}`,
        `${TEST_SIGNER_ORIGIN}/?Action=ConfirmSubscription&TopicArn=${SUBSCRIPTION_TOPIC}&Token=${token}&Next=https://x`,
        `${TEST_SIGNER_ORIGIN}/redirect?Action=ConfirmSubscription&TopicArn=${SUBSCRIPTION_TOPIC}&Token=${token}`,
      ];
      for (const subscribeUrl of bad) {
        const res = await deliver(subscriptionMessage('SubscriptionConfirmation', { token, subscribeUrl }));
        expect(res.statusCode, subscribeUrl).toBe(403);
        expect(res.json()).toMatchObject({ error: 'sns-subscribe-url-refused' });
      }
      expect(w.http.urls).toEqual([]);
    });

    it('does not confirm a topic that is not allow-listed', async () => {
      const topicArn = 'arn:aws:sns:us-east-1:123456789012:someone-else';
      const res = await deliver(subscriptionMessage('SubscriptionConfirmation', { topicArn }));
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ error: 'sns-topic-not-allowed' });
      expect(w.http.urls).toEqual([]);
    });

    it('answers 503 when the confirmation GET fails, so that SNS sends the confirmation again', async () => {
      w.http.status = 500;
      const res = await deliver(subscriptionMessage('SubscriptionConfirmation', {}));
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ error: 'sns-subscription-confirmation-failed' });
    });

    it('stores an UnsubscribeConfirmation and alerts operators, without fetching anything', async () => {
      const messageId = randomUUID();
      const res = await deliver(subscriptionMessage('UnsubscribeConfirmation', { messageId }));
      expect(res.statusCode).toBe(200);
      const [event] = await w.events();
      expect(event).toMatchObject({
        messageId,
        rawAction: 'sns-unsubscribe-confirmation',
        status: 'ignored',
      });
      expect(JSON.parse(event?.payload ?? '{}')).toMatchObject({ Type: 'UnsubscribeConfirmation' });
      expect(
        (await outbox()).some(
          (m) => m.kind === 'operator-alert' && m.type === 'marketplace-sns-subscription-ended',
        ),
      ).toBe(true);
      expect(w.http.urls).toEqual([]);
    });
  });

  it('signs with SignatureVersion 1 too, and the China partition comes from the topic', async () => {
    const body = signedBody({
      Type: 'Notification',
      MessageId: randomUUID(),
      TopicArn:
        'arn:aws-cn:sns:cn-northwest-1:287250355862:aws-mp-subscription-notification-bcchina00000000000000001',
      Message: JSON.stringify({
        action: 'subscribe-success',
        'customer-identifier': 'cn-cust-1',
        'product-code': 'bcchina00000000000000001',
      }),
      Timestamp: new Date().toISOString(),
      SignatureVersion: '1',
      SigningCertURL: TEST_CERT_URL,
    });
    const res = await deliver(body);
    expect(res.statusCode).toBe(200);
    expect((await w.events())[0]).toMatchObject({ partition: 'aws-cn', customerIdentifier: 'cn-cust-1' });
  });
});
