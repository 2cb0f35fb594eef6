// The real AWS-signed SNS messages in shared/vectors/sns, POSTed to the webhook exactly as SNS sent them.
// Their certificates are served for the real AWS URLs by a stub fetcher (no network), and the verifier's
// clock is pinned one minute after each message was signed (three of the certificates have expired).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StubCertificateFetcher } from './support/signing.js';
import { loadSnsVectors, type SnsVector } from './support/vectors.js';
import { DATABASES, postSns, startTestWebhook, type TestWebhook } from './support/webhook.js';

const vectors = loadSnsVectors();
const notifications = vectors.filter((v) => v.type === 'Notification');
const confirmations = vectors.filter((v) => v.type === 'SubscriptionConfirmation');
const unsubscribes = vectors.filter((v) => v.type === 'UnsubscribeConfirmation');

/** The vector with the last character of one signed field changed (of a Timestamp: its last digit). */
function tampered(v: SnsVector, field: string): string {
  const value = v.json[field] ?? '';
  const at = field === 'Timestamp' ? value.length - 2 : value.length - 1;
  const char = value.charAt(at);
  const other = field === 'Timestamp' ? String((Number(char) + 1) % 10) : char === 'A' ? 'B' : 'A';
  return JSON.stringify({ ...v.json, [field]: `${value.slice(0, at)}${other}${value.slice(at + 1)}` });
}

describe.each(DATABASES)('the real SNS vectors on $name', (db) => {
  let w: TestWebhook;
  let now = 0;

  beforeAll(async () => {
    const url = await db.open('vectors');
    w = await startTestWebhook(url, {
      env: {
        SNS_TOPIC_ARNS: [...new Set(vectors.map((v) => v.topicArn))].join(','),
        SNS_TRUST_LOCAL_ORIGINS: '',
      },
      snsNow: () => now,
      fetcher: new StubCertificateFetcher(vectors.map((v) => [v.signingCertUrl, v.certificatePem])),
    });
  });
  afterAll(async () => {
    await w?.close();
  });

  const deliver = async (v: SnsVector, body = v.raw) => {
    now = v.timestampMs + 60_000;
    const res = await postSns(w.app, body);
    await w.server.processor.drained();
    return res;
  };
  const stored = async (messageId: string) => (await w.events()).filter((e) => e.messageId === messageId);

  it.each(
    notifications.map((v) => [v.name, v] as const),
  )('%s verifies, is stored and acknowledged (its text is no marketplace message: kept for operators)', async (_name, v) => {
    const res = await deliver(v);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ outcome: 'stored', messageId: v.messageId });
    const [event, ...more] = await stored(v.messageId);
    expect(more).toEqual([]);
    expect(event).toMatchObject({
      source: 'sns',
      topicArn: v.topicArn,
      rawAction: 'unreadable:marketplace-message-malformed',
      status: 'ignored',
      payload: v.json.Message,
    });
    expect(event?.occurredAt.getTime()).toBe(v.timestampMs);
    // SNS's retry of the same message is acknowledged and not stored twice
    const again = await deliver(v);
    expect(again.json()).toMatchObject({ outcome: 'duplicate', eventId: event?.id });
  });

  it.each(
    confirmations.map((v) => [v.name, v] as const),
  )('%s is confirmed by one GET of exactly its SubscribeURL', async (_name, v) => {
    const before = w.http.urls.length;
    const res = await deliver(v);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ outcome: 'subscription-confirmed', messageId: v.messageId });
    expect(w.http.urls.slice(before)).toEqual([v.json.SubscribeURL]);
    expect(await stored(v.messageId)).toEqual([]);
  });

  it.each(
    unsubscribes.map((v) => [v.name, v] as const),
  )('%s is stored and alerted, and nothing is fetched', async (_name, v) => {
    const before = w.http.urls.length;
    const res = await deliver(v);
    expect(res.statusCode, res.body).toBe(200);
    const [event] = await stored(v.messageId);
    expect(event).toMatchObject({ rawAction: 'sns-unsubscribe-confirmation', status: 'ignored' });
    expect(w.http.urls.length).toBe(before);
  });

  it('every vector with one signed field changed is refused 403, with no side effect', async () => {
    const eventsBefore = (await w.events()).length;
    const getsBefore = w.http.urls.length;
    for (const v of vectors) {
      const fields =
        v.type === 'Notification'
          ? ['Message', 'MessageId', 'Timestamp', 'TopicArn', ...(v.json.Subject ? ['Subject'] : [])]
          : ['Message', 'MessageId', 'SubscribeURL', 'Token', 'TopicArn', 'Timestamp'];
      for (const field of fields) {
        const res = await deliver(v, tampered(v, field));
        expect(res.statusCode, `${v.name} ${field}: ${res.body}`).toBe(403);
      }
    }
    expect((await w.events()).length).toBe(eventsBefore);
    expect(w.http.urls.length).toBe(getsBefore);
    // only the real SNS certificate URLs were ever asked for
    const allowed = new Set(vectors.map((v) => v.signingCertUrl));
    expect(w.fetcher.calls.filter((u) => !allowed.has(u))).toEqual([]);
  });

  it('a real message delivered again today is refused as a replay', async () => {
    const v = notifications[0] as SnsVector;
    now = Date.now();
    const replay = await postSns(w.app, v.raw);
    expect(replay.statusCode).toBe(403);
    expect(replay.json()).toMatchObject({ error: 'sns-timestamp-out-of-window' });
  });
});
