// Group commit: deliveries that arrive while a store transaction is committing are stored together by the
// next one. First the mechanism on its own, then through POST /sns on SQLite and PostgreSQL: a batch with
// duplicates in it, and a batch whose insert fails (every member answered 503, each stored once when SNS
// delivers it again).
import { randomUUID } from 'node:crypto';
import type { MarketplaceNotification } from '@billing-center/core';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GroupCommit } from '../src/inbox/group-commit.js';
import { MarketplaceInbox } from '../src/inbox/marketplace-inbox.js';
import { type RegisteredBuyer, registerBuyer } from './support/customers.js';
import { marketplaceMessage, signedNotification } from './support/signing.js';
import { DATABASES, postSns, startTestWebhook, type TestWebhook } from './support/webhook.js';

/** A promise and its resolver: holds a commit until the test lets it go. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

async function until(done: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('GroupCommit', () => {
  it('commits a lone item at once, and the items submitted during a commit together in the next', async () => {
    const batches: number[][] = [];
    const held = gate();
    const commits = new GroupCommit<number, string>(
      async (items) => {
        batches.push([...items]);
        if (batches.length === 1) await held.opened;
        return items.map((i) => `done ${i}`);
      },
      { maxBatch: 100, maxInFlight: 1 },
    );
    const first = commits.submit(0);
    await until(() => batches.length === 1);
    const rest = [1, 2, 3, 4].map((i) => commits.submit(i));
    expect(commits.pending).toBe(5);
    held.open();
    expect(await first).toBe('done 0');
    expect(await Promise.all(rest)).toEqual(['done 1', 'done 2', 'done 3', 'done 4']);
    expect(batches).toEqual([[0], [1, 2, 3, 4]]);
    await commits.drained();
    expect(commits.pending).toBe(0);
  });

  it('takes at most maxBatch items a commit and runs at most maxInFlight commits at once', async () => {
    let running = 0;
    let mostRunning = 0;
    const sizes: number[] = [];
    const commits = new GroupCommit<number, number>(
      async (items) => {
        running += 1;
        mostRunning = Math.max(mostRunning, running);
        sizes.push(items.length);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running -= 1;
        return items.map((i) => i * 2);
      },
      { maxBatch: 3, maxInFlight: 2 },
    );
    const all = Array.from({ length: 20 }, (_, i) => commits.submit(i));
    expect(await Promise.all(all)).toEqual(Array.from({ length: 20 }, (_, i) => i * 2));
    expect(Math.max(...sizes)).toBe(3);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(20);
    expect(mostRunning).toBe(2);
  });

  it('takes at most maxBatchSize by size a commit, and an item larger than that alone', async () => {
    const sizes: number[][] = [];
    let release!: () => void;
    const first = new Promise<void>((r) => {
      release = r;
    });
    const commits = new GroupCommit<number, number>(
      async (items) => {
        sizes.push([...items]);
        if (sizes.length === 1) await first; // the rest wait behind the first commit
        return items;
      },
      { maxBatch: 100, maxInFlight: 1, maxBatchSize: 10, sizeOf: (n) => n },
    );
    const head = commits.submit(1);
    await new Promise((r) => setImmediate(r));
    const rest = [4, 4, 4, 25, 3, 3].map((n) => commits.submit(n));
    release();
    expect(await Promise.all([head, ...rest])).toEqual([1, 4, 4, 4, 25, 3, 3]);
    expect(sizes).toEqual([[1], [4, 4], [4], [25], [3, 3]]);
  });

  it('rejects every item of a failed commit with its error; the next commit is not affected', async () => {
    let calls = 0;
    const commits = new GroupCommit<string, string>(
      async (items) => {
        calls += 1;
        if (calls === 1) throw new Error('connection lost');
        return items.map((i) => i.toUpperCase());
      },
      { maxBatch: 10, maxInFlight: 1 },
    );
    const failed = await Promise.allSettled(['a', 'b', 'c'].map((i) => commits.submit(i)));
    expect(failed.map((r) => r.status === 'rejected' && (r.reason as Error).message)).toEqual([
      'connection lost',
      'connection lost',
      'connection lost',
    ]);
    expect(await commits.submit('a')).toBe('A');
  });

  it('rejects the items of a commit that answers a different number of outcomes', async () => {
    const commits = new GroupCommit<number, number>(async () => [1], { maxBatch: 10, maxInFlight: 1 });
    const results = await Promise.allSettled([commits.submit(1), commits.submit(2)]);
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
  });
});

describe.each(DATABASES)('deliveries arriving together on $name', (db) => {
  let url: string;
  let w: TestWebhook;
  let buyer: RegisteredBuyer;

  beforeAll(async () => {
    url = await db.open('group_commit');
  });
  beforeEach(async () => {
    await db.clear(url);
    // one store transaction at a time: the deliveries posted while it is held make up the next one
    w = await startTestWebhook(url, { env: { WEBHOOK_STORE_CONCURRENCY: '1' } });
    buyer = await registerBuyer(w, undefined, 2);
  });
  afterEach(async () => {
    await w?.close();
  });

  const inbox = () => w.container.get(MarketplaceInbox);
  const body = (action: string, messageId: string = randomUUID(), minutesAgo = 10) =>
    signedNotification({
      messageId,
      message: marketplaceMessage(action, buyer.buyer),
      timestamp: new Date(Date.now() - minutesAgo * 60_000),
    });

  /** Holds the first store transaction; records the size of each one. */
  function holdFirstStore() {
    const held = gate();
    const batches: string[][] = [];
    const receive = w.useCases.receiveMarketplaceEvents;
    const original = receive.execute.bind(receive);
    receive.execute = async (items: readonly MarketplaceNotification[]) => {
      batches.push(items.map((n) => n.messageId));
      if (batches.length === 1) await held.opened;
      return original(items);
    };
    return { release: held.open, batches };
  }

  it('stores them in one transaction: each answered for itself, duplicates stored once', async () => {
    const stored = body('subscribe-success', randomUUID(), 20);
    expect((await postSns(w.app, stored)).statusCode).toBe(200);
    await w.server.processor.drained();
    const { release, batches } = holdFirstStore();

    const blocker = postSns(w.app, body('subscribe-success', randomUUID(), 19));
    await until(() => batches.length === 1);
    const twice = body('unsubscribe-pending', randomUUID(), 5);
    const together = [body('subscribe-success'), twice, stored, twice, body('subscribe-success')];
    const answers = together.map((b) => postSns(w.app, b));
    await until(() => inbox().storing === 1 + together.length);
    release();

    expect((await blocker).statusCode).toBe(200);
    const results = await Promise.all(answers);
    expect(results.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200]);
    expect(results.map((r) => r.json().outcome)).toEqual([
      'stored',
      'stored',
      'duplicate',
      'duplicate',
      'stored',
    ]);
    expect(results[3]?.json().eventId).toBe(results[1]?.json().eventId);
    expect(batches.map((b) => b.length)).toEqual([1, together.length]);
    const ids = (await w.events()).map((e) => e.messageId);
    expect(ids).toHaveLength(5); // stored, the blocker, and the three distinct messages of the batch
    expect(new Set(ids).size).toBe(ids.length);
    await w.server.processor.drained();
    // stored, then acted on: the unsubscribe-pending (the latest message) was applied
    const ca = await w.read((tx) => tx.cloudAccounts.get(buyer.cloudAccount.id));
    expect(ca?.state).toBe('unsubscribe-pending');
  });

  it('answers every delivery of a batch whose insert fails 503; delivered again, each is stored once', async () => {
    const { release, batches } = holdFirstStore();
    const blocker = postSns(w.app, body('subscribe-success', randomUUID(), 30));
    await until(() => batches.length === 1);
    const messageIds: string[] = [randomUUID(), randomUUID(), randomUUID()];
    const bodies = messageIds.map((id, i) => body('subscribe-success', id, 20 - i));
    // the next insert that holds one of these fails, as a lost connection would
    w.faults.only = (e) => messageIds.includes(e.messageId);
    w.faults.failNextInserts = 1;
    const answers = bodies.map((b) => postSns(w.app, b));
    await until(() => inbox().storing === 1 + bodies.length);
    release();

    expect((await blocker).statusCode).toBe(200);
    const failed = await Promise.all(answers);
    expect(failed.map((r) => r.statusCode)).toEqual([503, 503, 503]);
    expect(failed.map((r) => r.json().error)).toEqual(Array(3).fill('storage-unavailable'));
    expect(w.faults.failures.sort()).toEqual([...messageIds].sort());
    expect((await w.events()).filter((e) => messageIds.includes(e.messageId))).toEqual([]);

    // SNS delivers each again (and one of them twice)
    const retried = await Promise.all([...bodies, bodies[0] as string].map((b) => postSns(w.app, b)));
    expect(retried.map((r) => r.statusCode)).toEqual([200, 200, 200, 200]);
    const events = (await w.events()).filter((e) => messageIds.includes(e.messageId));
    expect(events.map((e) => e.messageId).sort()).toEqual([...messageIds].sort());
    await w.server.processor.drained();
    const ca = await w.read((tx) => tx.cloudAccounts.get(buyer.cloudAccount.id));
    expect(ca?.state).toBe('active');
  });
});
