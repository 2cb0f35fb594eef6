import { describe, expect, it } from 'vitest';
import type { MarketplaceNotification } from '../../src/index.js';
import { createTestCore } from '../support.js';

const notification = (
  messageId: string,
  o: Partial<MarketplaceNotification> = {},
): MarketplaceNotification => ({
  source: 'sns',
  messageId,
  action: 'subscribe-success',
  partition: 'aws',
  productCode: 'prodglobal0001',
  customerIdentifier: `cust-${messageId}`,
  occurredAt: new Date('2026-11-02T10:00:00Z'),
  payload: `{"id":"${messageId}"}`,
  ...o,
});

describe('the inbox stores several messages in one transaction (ReceiveMarketplaceEvents)', () => {
  it('answers per message, in order: stored, duplicate (stored before or earlier in the batch) or refused', async () => {
    const core = createTestCore();
    const before = await core.useCases.receiveMarketplaceEvent.execute(notification('m-0'));
    const commits = core.db.commits;
    const outcomes = await core.useCases.receiveMarketplaceEvents.execute([
      notification('m-1'),
      notification('m-0'),
      notification('m-2', { partition: 'mars' as never }),
      notification('m-3'),
      notification('m-1', { payload: 'the same message delivered twice' }),
    ]);
    expect(core.db.commits).toBe(commits + 1);
    expect(outcomes.map((o) => (o.ok ? (o.duplicate ? 'duplicate' : 'stored') : o.error.code))).toEqual([
      'stored',
      'duplicate',
      'invalid-input',
      'stored',
      'duplicate',
    ]);
    const [m1, m0, refused, m3, m1Again] = outcomes;
    expect(m0).toMatchObject({ ok: true, eventId: before.eventId });
    expect(m1Again).toMatchObject({ ok: true, eventId: m1?.ok ? m1.eventId : 'none' });
    expect(refused).toMatchObject({
      ok: false,
      error: { kind: 'validation', details: { field: 'partition' } },
    });
    const stored = await core.db.transaction((tx) => tx.marketplaceEvents.listUnprocessed(10));
    expect(stored.map((e) => e.messageId).sort()).toEqual(['m-0', 'm-1', 'm-3']);
    expect(stored.find((e) => e.messageId === 'm-1')?.payload).toBe('{"id":"m-1"}');
    expect(m3).toMatchObject({ ok: true, duplicate: false });
  });

  it('stores nothing of a batch whose commit fails, and the batch delivered again is stored once', async () => {
    const core = createTestCore();
    const batch = [notification('m-1'), notification('m-2')];
    core.db.failNextCommit = true;
    await expect(core.useCases.receiveMarketplaceEvents.execute(batch)).rejects.toThrow(/injected fault/);
    expect(await core.db.transaction((tx) => tx.marketplaceEvents.listUnprocessed(10))).toEqual([]);
    const retried = await core.useCases.receiveMarketplaceEvents.execute(batch);
    expect(retried.map((o) => o.ok && o.duplicate)).toEqual([false, false]);
    const again = await core.useCases.receiveMarketplaceEvents.execute(batch);
    expect(again.map((o) => o.ok && o.duplicate)).toEqual([true, true]);
    expect(await core.db.transaction((tx) => tx.marketplaceEvents.listUnprocessed(10))).toHaveLength(2);
  });

  it('stores a message once when two batches carrying it commit at the same time', async () => {
    const core = createTestCore();
    const [a, b] = await Promise.all([
      core.useCases.receiveMarketplaceEvents.execute([notification('shared'), notification('a')]),
      core.useCases.receiveMarketplaceEvents.execute([notification('b'), notification('shared')]),
    ]);
    const shared = [a?.[0], b?.[1]];
    expect(shared.filter((o) => o?.ok && o.duplicate)).toHaveLength(1);
    expect(new Set(shared.map((o) => (o?.ok ? o.eventId : null))).size).toBe(1);
    const stored = await core.db.transaction((tx) => tx.marketplaceEvents.listUnprocessed(10));
    expect(stored.map((e) => e.messageId).sort()).toEqual(['a', 'b', 'shared']);
  });

  it('stores nothing, and opens no transaction, when every message is refused', async () => {
    const core = createTestCore();
    const commits = core.db.commits;
    const outcomes = await core.useCases.receiveMarketplaceEvents.execute([
      notification('', {}),
      notification('m-1', { payload: 42 as never }),
    ]);
    expect(outcomes.map((o) => !o.ok && o.error.details)).toEqual([
      { field: 'messageId' },
      { field: 'payload' },
    ]);
    expect(core.db.commits).toBe(commits);
  });
});
