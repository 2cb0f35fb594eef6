import { isDomainError, type UseCases } from '@billing-center/core';
import type { Logger } from '../logger.js';

export interface EventProcessorOptions {
  /** Messages of different keys processed at once. */
  readonly concurrency: number;
  /** Past this many waiting messages, new ones are left to the sweep (they are stored: nothing is lost). */
  readonly maxQueued: number;
  /** How often the sweep retries stored but unprocessed messages. */
  readonly sweepIntervalMs: number;
  /**
   * Attempts for a message whose processing lost an optimistic-lock race or found the database unavailable
   * for a moment (then the sweep takes over). Default 5.
   */
  readonly retryAttempts?: number;
  /**
   * Wait before the second attempt after a lost race, twice as long before each next, half of it random so
   * that two messages racing for one cloud account fall apart. Default 20 ms.
   */
  readonly conflictRetryMs?: number;
  /** Wait before the second attempt after `unavailable`, four times longer before each next (at most 2 s). Default 100 ms. */
  readonly unavailableRetryMs?: number;
  /**
   * When a message is parked (no registered buyer matches), look again after these delays: the buyer's
   * registration may have been committing at that very moment (see `recheckParked`). Default 1 s and 5 s.
   */
  readonly parkedRecheckDelaysMs?: readonly number[];
}

interface Item {
  readonly eventId: string;
  readonly key: string;
  /** How many parked re-checks this item has had. */
  readonly recheck: number;
}

/**
 * Acts on stored messages right after they are acknowledged, off the request path, one message per key at a
 * time, and sweeps periodically (and once at start) for anything stored but not processed — a crash between
 * storing and processing, a failed attempt, or a message the queue had no room for.
 */
export class EventProcessor {
  private readonly queue: Item[] = [];
  private readonly activeKeys = new Set<string>();
  private readonly idle = new Set<() => void>();
  private running = 0;
  private pumpScheduled = false;
  private stopped = false;
  private sweepTimer: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;
  private readonly retryAttempts: number;
  private readonly conflictRetryMs: number;
  private readonly unavailableRetryMs: number;
  private readonly parkedRecheckDelaysMs: readonly number[];
  private readonly recheckTimers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly useCases: Pick<
      UseCases,
      'processMarketplaceEvent' | 'processPendingMarketplaceEvents' | 'applyParkedMarketplaceEvents'
    >,
    private readonly options: EventProcessorOptions,
    private readonly log: Logger,
  ) {
    this.retryAttempts = options.retryAttempts ?? 5;
    this.conflictRetryMs = options.conflictRetryMs ?? 20;
    this.unavailableRetryMs = options.unavailableRetryMs ?? 100;
    this.parkedRecheckDelaysMs = options.parkedRecheckDelaysMs ?? [1_000, 5_000];
  }

  /** Waiting and running messages. */
  get backlog(): number {
    return this.queue.length + this.running;
  }

  /** Queues a stored message; false when it is left to the sweep (stopping, or the queue is full). */
  enqueue(eventId: string, key: string, recheck = 0): boolean {
    if (this.stopped || this.queue.length >= this.options.maxQueued) return false;
    this.queue.push({ eventId, key, recheck });
    // Not now: the request that stored it first writes its answer, so the acknowledgement stays fast.
    if (!this.pumpScheduled) {
      this.pumpScheduled = true;
      setImmediate(() => {
        this.pumpScheduled = false;
        this.pump();
      });
    }
    return true;
  }

  /** Starts the periodic sweep, with a first pass now. */
  start(): void {
    if (this.sweepTimer || this.stopped) return;
    const tick = () => {
      void this.sweep().finally(() => {
        if (!this.stopped) this.sweepTimer = setTimeout(tick, this.options.sweepIntervalMs);
      });
    };
    this.sweepTimer = setTimeout(tick, 0);
  }

  /** One sweep: retries stored but unprocessed messages in batches until a batch comes back short. */
  sweep(): Promise<void> {
    this.sweeping ??= this.sweepOnce().finally(() => {
      this.sweeping = null;
    });
    return this.sweeping;
  }

  private async sweepOnce(): Promise<void> {
    const limit = 100;
    try {
      for (let pass = 0; pass < 100 && !this.stopped; pass += 1) {
        const { processed, failed } = await this.useCases.processPendingMarketplaceEvents.execute({ limit });
        if (processed + failed > 0) this.log.info({ processed, failed }, 'sweep: retried stored messages');
        // A short batch means nothing else is waiting; a batch of failures only would just fail again.
        if (processed + failed < limit || processed === 0) break;
      }
      // parked messages whose buyer registered meanwhile (a registration racing the message, or a match
      // through an identifier the cloud account learned later)
      if (!this.stopped) {
        const { applied } = await this.useCases.applyParkedMarketplaceEvents.execute();
        if (applied > 0) this.log.info({ applied }, 'sweep: applied parked messages of registered buyers');
      }
    } catch (err) {
      this.log.error({ err }, 'sweep: could not list stored messages (the next sweep retries)');
    }
  }

  /**
   * Stops taking work and waits (at most `timeoutMs`) for the messages being processed; the ones still
   * waiting stay stored and are taken by the next start's sweep.
   */
  async stop(timeoutMs: number): Promise<{ abandoned: number }> {
    this.stopped = true;
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    this.sweepTimer = null;
    for (const timer of this.recheckTimers) clearTimeout(timer);
    this.recheckTimers.clear();
    const abandoned = this.queue.splice(0).length;
    const done = Promise.all([
      this.sweeping ?? Promise.resolve(),
      new Promise<void>((resolve) => {
        if (this.running === 0) resolve();
        else this.idle.add(resolve);
      }),
    ]);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      done,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    return { abandoned };
  }

  /** Resolves when nothing is waiting, running or sweeping (tests, the benchmark). */
  async drained(): Promise<void> {
    for (;;) {
      if (this.sweeping) await this.sweeping;
      else if (this.running > 0) await new Promise<void>((resolve) => this.idle.add(resolve));
      else if (this.queue.length > 0 && !this.stopped) await new Promise<void>((r) => setImmediate(r));
      else return;
    }
  }

  private pump(): void {
    while (this.running < this.options.concurrency && !this.stopped) {
      const index = this.queue.findIndex((item) => !this.activeKeys.has(item.key));
      if (index < 0) return;
      const [item] = this.queue.splice(index, 1) as [Item];
      this.running += 1;
      this.activeKeys.add(item.key);
      void this.run(item).finally(() => {
        this.running -= 1;
        this.activeKeys.delete(item.key);
        if (this.running === 0) {
          for (const resolve of this.idle) resolve();
          this.idle.clear();
        }
        this.pump();
      });
    }
  }

  /**
   * A message is parked when no registered buyer matches it, and a registration applies the parked messages
   * it finds. But the two can run at the same time: the message's transaction finds no buyer (the
   * registration has not committed) while the registration's finds no parked message (the parking has not
   * committed), and the message would stay parked with the buyer registered. Looking again a little later,
   * once both have committed, applies it. (The core could close this race itself; see the README.)
   */
  private recheckParked(item: Item): void {
    const delay = this.parkedRecheckDelaysMs[item.recheck];
    if (delay === undefined || this.stopped) return;
    const timer = setTimeout(() => {
      this.recheckTimers.delete(timer);
      this.enqueue(item.eventId, item.key, item.recheck + 1);
    }, delay);
    timer.unref();
    this.recheckTimers.add(timer);
  }

  private async run(item: Item): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const outcome = await this.useCases.processMarketplaceEvent.execute({ eventId: item.eventId });
        this.log.info(
          { eventId: item.eventId, status: outcome.status, outcome: outcome.outcome },
          'marketplace message processed',
        );
        if (outcome.status === 'parked') this.recheckParked(item);
        return;
      } catch (err) {
        // A lost race (another message of the same buyer under another key: an entitlement-updated beside
        // a subscribe-success, say) and a database that was unavailable for a moment (a failover, a full
        // pool) are tried again shortly: the sweep would take the message only after sweepIntervalMs, and
        // a cancellation's lock cascade should not wait that long. Tried again at once, two racing messages
        // could lose to each other every time.
        const kind = isDomainError(err) ? err.kind : null;
        if (
          (kind === 'conflict' || kind === 'unavailable') &&
          attempt < this.retryAttempts &&
          !this.stopped
        ) {
          const wait =
            kind === 'unavailable'
              ? Math.min(2_000, this.unavailableRetryMs * 4 ** (attempt - 1))
              : this.conflictRetryMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
          await new Promise((r) => setTimeout(r, wait));
          continue;
        }
        // Stored and marked failed by the use case: the sweep retries it.
        this.log.warn({ err, eventId: item.eventId, attempt }, 'marketplace message not processed yet');
        return;
      }
    }
  }
}
