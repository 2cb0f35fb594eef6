// The SNS publisher over HTTP against the local AWS simulator (apps/aws-simulator, its own process): the
// publisher contract, SNS's failure modes, and the core's outbox end to end.
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { DispatchOutbox, type OutboxMessage } from '@billing-center/core';
import { activatedCustomer, createTestCore, deliver } from '@billing-center/core/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MailboxNotifier } from '../src/email/mailbox-notifier.js';
import { messageGroupIdOf } from '../src/events/domain-event-message.js';
import {
  publishInputFor,
  SnsDomainEventPublisher,
  SnsPublishError,
  type SnsPublisherSettings,
} from '../src/events/sns-domain-event-publisher.js';
import { publisherContract, sampleEvent } from './contracts/domain-event-publisher.contract.js';
import { CONTRACT_EMAIL } from './contracts/notifier.contract.js';
import {
  SIM_CREDENTIALS,
  type SimulatorProcess,
  startSimulatorProcess,
} from './support/simulator-process.js';
import { SnsSubscriber } from './support/sns-subscriber.js';
import { waitUntil } from './support/wait.js';

let sim: SimulatorProcess;
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  sim = await startSimulatorProcess();
}, 150_000);
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await sim.admin('DELETE', '/_admin/faults');
});
afterAll(async () => {
  await sim?.close();
});

let topics = 0;
/** A new topic on the simulator with a confirmed HTTP subscriber. */
async function topicWithSubscriber(): Promise<{ topicArn: string; subscriber: SnsSubscriber }> {
  const client = new SNSClient({
    region: 'us-east-1',
    endpoint: sim.url,
    credentials: SIM_CREDENTIALS,
    maxAttempts: 1,
  });
  try {
    topics += 1;
    const { TopicArn } = await client.send(
      new CreateTopicCommand({ Name: `billing-center-events-${topics}` }),
    );
    const subscriber = await new SnsSubscriber().start();
    cleanups.push(() => subscriber.stop());
    await client.send(new SubscribeCommand({ TopicArn, Protocol: 'http', Endpoint: subscriber.url }));
    await subscriber.confirmed();
    return { topicArn: TopicArn!, subscriber };
  } finally {
    client.destroy();
  }
}

function publisherFor(topicArn: string, o: Partial<SnsPublisherSettings> = {}): SnsDomainEventPublisher {
  const publisher = new SnsDomainEventPublisher({
    topicArn,
    region: 'us-east-1',
    endpoint: sim.url,
    credentials: SIM_CREDENTIALS,
    maxAttempts: 1,
    requestTimeoutMs: 5_000,
    ...o,
  });
  cleanups.push(() => publisher.close());
  return publisher;
}

interface SimCall {
  seq: number;
  target: string;
  outcome: string;
}
const publishCalls = async () =>
  (await sim.admin<SimCall[]>('GET', '/_admin/calls')).filter((c) => c.target === 'SNS.Publish');

publisherContract(
  'SnsDomainEventPublisher against the simulator over HTTP',
  async () => {
    const { topicArn, subscriber } = await topicWithSubscriber();
    return {
      publisher: publisherFor(topicArn),
      observed: async (atLeast) => {
        await waitUntil(
          () => subscriber.distinctEvents().length >= atLeast,
          5_000,
          () => `expected ${atLeast} events, got ${subscriber.distinctEvents().length}`,
        );
        return subscriber.distinctEvents();
      },
      breakPublishing: () =>
        sim.admin('POST', '/_admin/faults', { serverErrorRate: 1, targets: ['SNS.Publish'] }),
      repair: () => sim.admin('DELETE', '/_admin/faults'),
      close: async () => {},
    };
  },
  { canFail: true },
);

describe('SnsDomainEventPublisher', () => {
  it('publishes the envelope with filterable String attributes type and eventId', async () => {
    const { topicArn, subscriber } = await topicWithSubscriber();
    const e = sampleEvent();
    await publisherFor(topicArn).publish(e);
    await subscriber.waitFor(1);
    const [n] = subscriber.notifications;
    expect(n!.TopicArn).toBe(topicArn);
    expect(n!.MessageAttributes).toEqual({
      type: { Type: 'String', Value: 'workspace.locked' },
      eventId: { Type: 'String', Value: e.id },
    });
    expect(JSON.parse(n!.Message)).toEqual({
      id: e.id,
      type: 'workspace.locked',
      occurredAt: '2026-11-02T10:15:00.000Z',
      payload: e.payload,
    });
  });

  it('lets the SDK retry throttling itself (standard retry), within its attempts', async () => {
    const { topicArn, subscriber } = await topicWithSubscriber();
    const before = (await publishCalls()).length;
    await sim.admin('POST', '/_admin/faults', { throttleNext: 2, targets: ['SNS.Publish'] });
    await publisherFor(topicArn, { maxAttempts: 3 }).publish(sampleEvent());
    expect((await publishCalls()).slice(before).map((c) => c.outcome)).toEqual([
      'fault:throttle',
      'fault:throttle',
      'ok',
    ]);
    await subscriber.waitFor(1);
  });

  it('a lost response throws; the retry publishes the same event id again, which the subscriber drops', async () => {
    const { topicArn, subscriber } = await topicWithSubscriber();
    const publisher = publisherFor(topicArn);
    const e = sampleEvent();
    await sim.admin('POST', '/_admin/faults', { loseResponseNext: 1, targets: ['SNS.Publish'] });
    await expect(publisher.publish(e)).rejects.toBeInstanceOf(SnsPublishError);
    await publisher.publish(e);
    await subscriber.waitFor(2);
    expect(subscriber.notifications.map((n) => n.MessageAttributes?.eventId?.Value)).toEqual([e.id, e.id]);
    expect(subscriber.distinctEvents().map((x) => x.id)).toEqual([e.id]);
  });

  it('throws naming the event, the topic and SNS error for an unknown topic', async () => {
    const arn = 'arn:aws:sns:us-east-1:111122223333:no-such-topic';
    const e = sampleEvent();
    await expect(publisherFor(arn).publish(e)).rejects.toThrow(
      `SNS Publish of event ${e.id} (workspace.locked) to ${arn} failed: NotFoundException (HTTP 404): Topic does not exist`,
    );
  });

  it('throws when the endpoint refuses the connection', async () => {
    const closed = createHttpServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const publisher = publisherFor('arn:aws:sns:us-east-1:111122223333:events', {
      endpoint: `http://127.0.0.1:${port}`,
    });
    await expect(publisher.publish(sampleEvent())).rejects.toThrow(
      /SNS Publish of event .* failed: .*ECONNREFUSED/,
    );
  });

  it('refuses a message over 256 KiB without calling SNS', async () => {
    const before = (await publishCalls()).length;
    const huge = sampleEvent({ payload: { blob: 'x'.repeat(262_144) } });
    await expect(publisherFor('arn:aws:sns:us-east-1:111122223333:events').publish(huge)).rejects.toThrow(
      /its message is \d+ bytes, SNS takes at most 262144/,
    );
    expect(await publishCalls()).toHaveLength(before);
  });
});

describe('FIFO topics', () => {
  // The simulator has no FIFO topics; this endpoint answers Publish like SNS and keeps the request as sent.
  async function capturingSns(answer: string) {
    const bodies: URLSearchParams[] = [];
    const server = createHttpServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        bodies.push(new URLSearchParams(body));
        res.setHeader('content-type', 'text/xml');
        res.end(
          `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult>${answer}</PublishResult>` +
            '<ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></PublishResponse>',
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    return { bodies, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  }

  it('sends MessageGroupId and MessageDeduplicationId (the event id) to a .fifo topic, and not otherwise', async () => {
    const sns = await capturingSns('<MessageId>m-1</MessageId><SequenceNumber>1</SequenceNumber>');
    const e = sampleEvent();
    const fifo = 'arn:aws:sns:us-east-1:111122223333:billing-center-events.fifo';
    await publisherFor(fifo, { endpoint: sns.endpoint }).publish(e);
    await publisherFor('arn:aws:sns:us-east-1:111122223333:billing-center-events', {
      endpoint: sns.endpoint,
    }).publish(e);
    const [fifoBody, standardBody] = sns.bodies;
    expect(fifoBody!.get('Action')).toBe('Publish');
    expect(fifoBody!.get('TopicArn')).toBe(fifo);
    expect(fifoBody!.get('MessageGroupId')).toBe(e.payload.workspaceId);
    expect(fifoBody!.get('MessageDeduplicationId')).toBe(e.id);
    expect(JSON.parse(fifoBody?.get('Message') ?? 'null')).toMatchObject({ id: e.id, type: e.type });
    expect(standardBody!.has('MessageGroupId')).toBe(false);
    expect(standardBody!.has('MessageDeduplicationId')).toBe(false);
  });

  it('throws when SNS answers without a MessageId', async () => {
    const sns = await capturingSns('');
    await expect(
      publisherFor('arn:aws:sns:us-east-1:111122223333:events', { endpoint: sns.endpoint }).publish(
        sampleEvent(),
      ),
    ).rejects.toThrow(/answered without a MessageId/);
  });

  it('groups by workspace first (its history stays ordered), then cloud account, then type', () => {
    const at = new Date();
    const group = (payload: Record<string, unknown>, type = 'workspace.locked') =>
      messageGroupIdOf({ id: 'e', type, occurredAt: at, payload });
    expect(group({ workspaceId: 'ws-1', cloudAccountId: 'ca-1' })).toBe('ws-1');
    expect(group({ cloudAccountId: 'ca-1' }, 'cloud-account.subscription-changed')).toBe('ca-1');
    expect(group({}, 'cloud-account.registered')).toBe('cloud-account.registered');
    expect(group({ workspaceId: 'ws 1\u00e9' })).toBe('ws_1_');
    expect(group({ workspaceId: 'w'.repeat(200) })).toHaveLength(128);
    expect(
      publishInputFor(sampleEvent(), 'arn:aws:sns:us-east-1:111122223333:t').MessageGroupId,
    ).toBeUndefined();
  });
});

describe('the outbox end to end: core → DispatchOutbox → SNS (simulator) → subscriber', () => {
  /** A customer whose AWS subscription is cancelled: its workspace is locked, events and an email queued. */
  async function cancelledCustomer() {
    const core = createTestCore();
    const a = await activatedCustomer(core);
    const t = core.clock.now().getTime();
    await deliver(core, a.buyer, 'subscribe-success', new Date(t - 60_000));
    await deliver(core, a.buyer, 'unsubscribe-success', new Date(t));
    const outbox = () => [...core.db.tables.outbox.rows.values()] as OutboxMessage[];
    const events = () => outbox().filter((m) => m.kind === 'domain-event');
    return { core, a, outbox, events };
  }

  it('a failed publish stays pending with its error; once SNS works, every event is published exactly once', async () => {
    const { topicArn, subscriber } = await topicWithSubscriber();
    const { core, a, outbox, events } = await cancelledCustomer();
    const pending = events();
    expect(pending.map((e) => e.type)).toEqual(expect.arrayContaining(['workspace.locked']));
    const others = outbox().length - pending.length;
    const mailbox = new MailboxNotifier(CONTRACT_EMAIL);
    const dispatch = new DispatchOutbox({
      ...core.ctx,
      publisher: publisherFor(topicArn),
      notifier: mailbox,
    });
    const callsBefore = (await publishCalls()).length;

    await sim.admin('POST', '/_admin/faults', { serverErrorRate: 1, targets: ['SNS.Publish'] });
    expect(await dispatch.execute()).toEqual({ sent: others, failed: pending.length });
    for (const m of events()) {
      expect(m).toMatchObject({ status: 'pending', attempts: 1, sentAt: null });
      expect(m.lastError).toMatch(
        new RegExp(
          `^SNS Publish of event ${m.id} \\(${m.type.replace('.', '\\.')}\\) to ${topicArn} failed: .*HTTP 500`,
        ),
      );
    }
    // The email went out regardless: the outbox delivers each message on its own.
    expect(mailbox.messages().map((m) => [m.topic, m.to])).toContainEqual([
      'cloud-subscription-cancelled',
      [a.account.email],
    ]);

    await sim.admin('DELETE', '/_admin/faults');
    expect(await dispatch.execute()).toEqual({ sent: 0, failed: 0 }); // backing off: not due yet
    core.clock.advance(5_000);
    expect(await dispatch.execute()).toEqual({ sent: pending.length, failed: 0 });
    expect(events().every((m) => m.status === 'sent' && m.attempts === 2 && m.lastError === null)).toBe(true);
    core.clock.advance(3_600_000);
    expect(await dispatch.execute()).toEqual({ sent: 0, failed: 0 });

    await subscriber.waitFor(pending.length);
    await new Promise((r) => setTimeout(r, 200)); // a stray duplicate would have arrived by now
    expect(subscriber.notifications).toHaveLength(pending.length);
    expect(subscriber.notifications.map((n) => n.MessageAttributes?.eventId?.Value).sort()).toEqual(
      pending.map((m) => m.id).sort(),
    );
    for (const m of pending) {
      const n = subscriber.notifications.find((x) => x.MessageAttributes?.eventId?.Value === m.id)!;
      expect(n.MessageAttributes?.type?.Value).toBe(m.type);
      expect(JSON.parse(n.Message)).toEqual({
        id: m.id,
        type: m.type,
        occurredAt: m.createdAt.toISOString(),
        payload: m.payload,
      });
    }
    const locked = subscriber.distinctEvents().find((e) => e.type === 'workspace.locked')!;
    expect(locked.payload).toMatchObject({
      workspaceId: a.workspace.id,
      reason: 'cloud-subscription-cancelled',
    });
    expect((await publishCalls()).slice(callsBefore).map((c) => c.outcome)).toEqual([
      ...pending.map(() => 'fault:server-error'),
      ...pending.map(() => 'ok'),
    ]);
  });

  it('a publish whose answer was lost is retried by the outbox; the subscriber keeps one copy per event id', async () => {
    const { topicArn, subscriber } = await topicWithSubscriber();
    const { core, events } = await cancelledCustomer();
    const pending = events();
    const dispatch = new DispatchOutbox({
      ...core.ctx,
      publisher: publisherFor(topicArn),
      notifier: new MailboxNotifier(CONTRACT_EMAIL),
    });
    await sim.admin('POST', '/_admin/faults', { loseResponseNext: 1, targets: ['SNS.Publish'] });
    const first = await dispatch.execute();
    expect(first.failed).toBe(1);
    const retried = events().filter((m) => m.status === 'pending');
    expect(retried).toHaveLength(1);
    core.clock.advance(5_000);
    await dispatch.execute();
    expect(events().every((m) => m.status === 'sent')).toBe(true);
    await subscriber.waitFor(pending.length + 1);
    const copies = subscriber.notifications.filter(
      (n) => n.MessageAttributes?.eventId?.Value === retried[0]!.id,
    );
    expect(copies).toHaveLength(2);
    expect(
      subscriber
        .distinctEvents()
        .map((e) => e.id)
        .sort(),
    ).toEqual(pending.map((m) => m.id).sort());
  });
});
