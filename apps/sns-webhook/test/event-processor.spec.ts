// The processor on its own, over scripted use cases: one message per key at a time, conflicts retried,
// parked messages looked at again, a full queue left to the sweep, and the sweep's batches.
import { ConcurrencyConflict, type ProcessOutcome, UnavailableError } from '@billing-center/core';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { EventProcessor } from '../src/inbox/event-processor.js';

const silent = pino({ level: 'silent' });

function scripted(answer: (eventId: string, call: number) => Promise<ProcessOutcome['status']>) {
  const calls: string[] = [];
  const running = new Set<string>();
  let overlap = false;
  const sweeps: number[] = [];
  const parkedPasses: number[] = [];
  const useCases = {
    processMarketplaceEvent: {
      execute: async ({ eventId }: { eventId: string }) => {
        calls.push(eventId);
        const key = eventId.split(':')[0] as string;
        if (running.has(key)) overlap = true;
        running.add(key);
        try {
          const status = await answer(eventId, calls.filter((c) => c === eventId).length);
          return { eventId, status, outcome: null };
        } finally {
          running.delete(key);
        }
      },
    },
    processPendingMarketplaceEvents: {
      execute: async ({ limit = 100 }: { limit?: number } = {}) => {
        sweeps.push(limit);
        return sweeps.length < 3 ? { processed: limit, failed: 0 } : { processed: 7, failed: 0 };
      },
    },
    applyParkedMarketplaceEvents: {
      execute: async () => {
        parkedPasses.push(sweeps.length);
        return { applied: 0 };
      },
    },
  };
  return { useCases: useCases as never, calls, sweeps, parkedPasses, overlapped: () => overlap };
}

const options = { concurrency: 4, maxQueued: 100, sweepIntervalMs: 60_000 };
const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('EventProcessor', () => {
  it('runs messages of one key one after the other, and different keys side by side', async () => {
    const s = scripted(async () => {
      await tick(5);
      return 'processed';
    });
    const p = new EventProcessor(s.useCases, options, silent);
    for (let i = 0; i < 6; i += 1) p.enqueue(`a:${i}`, 'a');
    for (let i = 0; i < 6; i += 1) p.enqueue(`b:${i}`, 'b');
    await p.drained();
    expect(s.calls).toHaveLength(12);
    expect(s.overlapped()).toBe(false);
    expect(s.calls.filter((c) => c.startsWith('a:'))).toEqual(['a:0', 'a:1', 'a:2', 'a:3', 'a:4', 'a:5']);
  });

  it('retries a message that lost an optimistic-lock race, then leaves it to the sweep', async () => {
    const s = scripted(async (id, call) => {
      if (id === 'x:1' && call < 2) throw new ConcurrencyConflict('cloud account', 'ca-1');
      if (id === 'y:1') throw new ConcurrencyConflict('cloud account', 'ca-2');
      return 'processed';
    });
    const p = new EventProcessor(s.useCases, { ...options, retryAttempts: 3, conflictRetryMs: 8 }, silent);
    const started = Date.now();
    p.enqueue('x:1', 'x');
    p.enqueue('y:1', 'y');
    await p.drained();
    expect(s.calls.filter((c) => c === 'x:1')).toHaveLength(2);
    expect(s.calls.filter((c) => c === 'y:1')).toHaveLength(3);
    // not at once: at least half of 8 ms, then of 16 ms, so that racing messages fall apart
    expect(Date.now() - started).toBeGreaterThanOrEqual(4 + 8);
  });

  it('tries again shortly a message that found the database unavailable, then leaves it to the sweep', async () => {
    const down = () => new UnavailableError('database-unavailable', 'The database is not available.');
    const s = scripted(async (id, call) => {
      if (id === 'x:1' && call < 2) throw down();
      if (id === 'y:1') throw down();
      return 'processed';
    });
    const p = new EventProcessor(s.useCases, { ...options, unavailableRetryMs: 5 }, silent);
    const started = Date.now();
    p.enqueue('x:1', 'x');
    p.enqueue('y:1', 'y');
    await p.drained();
    expect(s.calls.filter((c) => c === 'x:1')).toHaveLength(2);
    expect(s.calls.filter((c) => c === 'y:1')).toHaveLength(5); // the default 5 attempts
    expect(Date.now() - started).toBeGreaterThanOrEqual(5 + 20 + 80 + 320); // it waited between attempts
  });

  it('looks again at a parked message after each re-check delay', async () => {
    let registered = false;
    const s = scripted(async () => (registered ? 'processed' : 'parked'));
    const p = new EventProcessor(s.useCases, { ...options, parkedRecheckDelaysMs: [20, 40] }, silent);
    p.enqueue('m:1', 'm');
    await p.drained();
    expect(s.calls).toEqual(['m:1']);
    await tick(30);
    await p.drained();
    expect(s.calls).toEqual(['m:1', 'm:1']);
    registered = true;
    await tick(60);
    await p.drained();
    expect(s.calls).toEqual(['m:1', 'm:1', 'm:1']);
    await tick(80);
    expect(s.calls).toHaveLength(3);
  });

  it('leaves messages to the sweep when its queue is full or it is stopping', async () => {
    const s = scripted(async () => {
      await tick(20);
      return 'processed';
    });
    const p = new EventProcessor(s.useCases, { ...options, concurrency: 1, maxQueued: 2 }, silent);
    expect([p.enqueue('a:1', 'a'), p.enqueue('b:1', 'b'), p.enqueue('c:1', 'c')]).toEqual([
      true,
      true,
      false,
    ]);
    await tick(5);
    const { abandoned } = await p.stop(1_000);
    expect(abandoned).toBe(1);
    expect(s.calls).toEqual(['a:1']);
    expect(p.enqueue('d:1', 'd')).toBe(false);
  });

  it('sweeps in batches until a batch comes back short', async () => {
    const s = scripted(async () => 'processed');
    const p = new EventProcessor(s.useCases, options, silent);
    await p.sweep();
    expect(s.sweeps).toEqual([100, 100, 100]);
    // then, once per sweep, parked messages whose buyer registered meanwhile
    expect(s.parkedPasses).toEqual([3]);
  });
});
