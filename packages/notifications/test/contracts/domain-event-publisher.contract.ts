// What every DomainEventPublisher adapter promises the outbox: a resolved publish means subscribers get
// the event as one JSON envelope (id, type, occurredAt, payload); a failed one rejects, so the outbox keeps
// and retries the event; and publishing an event again (at least once) is harmless to a subscriber that
// deduplicates by event id. The core has no contract for this port; this one runs against each adapter here.
import type { DomainEventPublisher, PublishedDomainEvent } from '@billing-center/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DomainEventEnvelope } from '../../src/events/domain-event-message.js';

export interface PublisherHarness {
  publisher: DomainEventPublisher;
  /**
   * The events a subscriber deduplicating by event id has seen, in arrival order; waits until there are
   * at least `atLeast` of them.
   */
  observed(atLeast: number): Promise<DomainEventEnvelope[]>;
  /** Makes publishing fail until `repair`; null for an adapter that cannot fail (in memory). */
  breakPublishing: (() => Promise<void>) | null;
  repair: (() => Promise<void>) | null;
  close(): Promise<void>;
}

let seq = 0;
export function sampleEvent(o: Partial<PublishedDomainEvent> = {}): PublishedDomainEvent {
  seq += 1;
  return {
    id: `evt-${Date.now()}-${seq}`,
    type: 'workspace.locked',
    occurredAt: new Date('2026-11-02T10:15:00.000Z'),
    payload: {
      workspaceId: `ws-${seq}`,
      accountId: 'acc-1',
      reason: 'cloud-subscription-cancelled',
      cloudAccountId: 'ca-1',
      graceEndsAt: '2026-11-16T10:15:00.000Z',
      occurredAt: '2026-11-02T10:15:00.000Z',
      note: 'quotes " and <tags> & unicode ✓',
    },
    ...o,
  };
}

export function publisherContract(
  name: string,
  makeHarness: () => Promise<PublisherHarness>,
  { canFail }: { canFail: boolean },
) {
  describe(`DomainEventPublisher contract: ${name}`, () => {
    let h: PublisherHarness;
    beforeEach(async () => {
      h = await makeHarness();
    });
    afterEach(async () => {
      await h.close();
    });

    it('delivers each event as its JSON envelope', async () => {
      const events = [
        sampleEvent(),
        sampleEvent({
          type: 'cloud-account.subscription-changed',
          payload: { cloudAccountId: 'ca-1', to: 'cancelled' },
        }),
      ];
      for (const e of events) await h.publisher.publish(e);
      expect(await h.observed(2)).toEqual(
        events.map((e) => ({
          id: e.id,
          type: e.type,
          occurredAt: e.occurredAt.toISOString(),
          payload: e.payload,
        })),
      );
    });

    it('a redelivered event (at least once) reaches a deduplicating subscriber once', async () => {
      const first = sampleEvent();
      const second = sampleEvent({ type: 'workspace.unlocked' });
      await h.publisher.publish(first);
      await h.publisher.publish(first);
      await h.publisher.publish(second);
      const seen = await h.observed(2);
      expect(seen.map((e) => e.id).sort()).toEqual([first.id, second.id].sort());
    });

    if (canFail)
      it('rejects while publishing fails, and delivers once repaired', async () => {
        const e = sampleEvent();
        await h.breakPublishing!();
        await expect(h.publisher.publish(e)).rejects.toThrow();
        await h.repair!();
        await h.publisher.publish(e);
        expect((await h.observed(1)).map((x) => x.id)).toEqual([e.id]);
      });
  });
}
