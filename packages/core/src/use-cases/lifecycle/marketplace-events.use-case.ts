import type { LifecycleAction } from '../../domain/cloud-account/cloud-account.js';
import type { CustomerRef } from '../../domain/cloud-account/customer-ref.js';
import { describeCustomerRef } from '../../domain/cloud-account/customer-ref.js';
import {
  MARKETPLACE_ACTIONS,
  type MarketplaceAction,
  MarketplaceEvent,
  SNS_UNSUBSCRIBE_CONFIRMATION_ACTION,
} from '../../domain/marketplace-event/marketplace-event.js';
import { AWS_PARTITIONS } from '../../domain/site/site.js';
import { isDomainError, NotFoundError, ValidationError } from '../../shared/domain-error.js';
import { requireDate, requireOneOf, requireText, requireWholeNumber } from '../../shared/guard.js';
import type { CoreContext } from '../core-context.js';
import { Journal } from '../support/journal.js';
import { applyLifecycleEvent, applyParkedEvents } from './apply-lifecycle.js';

/** A verified, parsed inbound marketplace message (SNS or EventBridge), as the delivery adapters hand it over. */
export interface MarketplaceNotification extends CustomerRef {
  source: 'sns' | 'eventbridge';
  messageId: string;
  topicArn?: string | null;
  /** The action as sent: the four subscription actions, `entitlement-updated`, or anything else. */
  action: string;
  freeTrial?: boolean | null;
  occurredAt: Date;
  payload: string;
}

export const MAX_EVENT_PAYLOAD = 256 * 1024;

/** Where a received message is: the inbox row stored under its message id, new or already there. */
export interface ReceivedMarketplaceEvent {
  eventId: string;
  duplicate: boolean;
}

/** One notification of a `ReceiveMarketplaceEvents` batch: stored, or refused for its content. */
export type ReceiveOutcome =
  | ({ ok: true } & ReceivedMarketplaceEvent)
  | { ok: false; error: ValidationError };

/**
 * Store an inbound message before anything acts on it (the inbox), deduplicated by message id. Delivery
 * adapters acknowledge only after this returns.
 */
export class ReceiveMarketplaceEvent {
  constructor(
    ctx: CoreContext,
    private readonly batch = new ReceiveMarketplaceEvents(ctx),
  ) {}

  async execute(n: MarketplaceNotification): Promise<ReceivedMarketplaceEvent> {
    const [outcome] = await this.batch.execute([n]);
    if (!outcome) throw new Error('ReceiveMarketplaceEvents answered nothing for one notification');
    if (!outcome.ok) throw outcome.error;
    return { eventId: outcome.eventId, duplicate: outcome.duplicate };
  }
}

/**
 * Store several inbound messages in one transaction (the webhook's group commit: the deliveries that arrive
 * while a store is committing are stored together by the next one). Each notification is checked on its
 * own: one whose content is refused gets its `ValidationError` as its outcome and the others are stored.
 * Outcomes come in the order of the notifications; the same message id twice is stored once (the later
 * ones are duplicates). A storage failure throws: nothing of the batch was stored.
 */
export class ReceiveMarketplaceEvents {
  constructor(private readonly ctx: CoreContext) {}

  async execute(notifications: readonly MarketplaceNotification[]): Promise<ReceiveOutcome[]> {
    const now = this.ctx.clock.now();
    const checked = notifications.map((n): MarketplaceEvent | ValidationError => {
      try {
        return this.toEvent(n, now);
      } catch (e) {
        if (e instanceof ValidationError) return e;
        throw e;
      }
    });
    const events = checked.filter((c): c is MarketplaceEvent => c instanceof MarketplaceEvent);
    const stored = events.length === 0 ? [] : await this.store(events);
    let next = 0;
    return checked.map((c): ReceiveOutcome => {
      if (c instanceof ValidationError) return { ok: false, error: c };
      const s = stored[next++];
      if (!s) throw new Error('the inbox answered fewer outcomes than events stored');
      return { ok: true, eventId: s.eventId, duplicate: s.duplicate };
    });
  }

  private async store(events: readonly MarketplaceEvent[]) {
    const once = () => this.ctx.uow.transaction((tx) => tx.marketplaceEvents.addUnlessStored(events));
    try {
      return await once();
    } catch (e) {
      // Another transaction committed one of these message ids first, and this adapter could not wait for
      // it (see the port): nothing of this batch was stored; storing it again finds that row.
      if (!(isDomainError(e) && e.code === 'duplicate-key')) throw e;
      return once();
    }
  }

  private toEvent(n: MarketplaceNotification, now: Date): MarketplaceEvent {
    const messageId = requireText('messageId', n?.messageId, { max: 200 });
    const source = requireOneOf('source', n.source, ['sns', 'eventbridge'] as const);
    const partition = requireOneOf('partition', n.partition, AWS_PARTITIONS);
    const occurredAt = requireDate('occurredAt', n.occurredAt);
    const rawAction = requireText('action', n.action, { max: 200 });
    if (typeof n.payload !== 'string' || n.payload.length > MAX_EVENT_PAYLOAD) {
      throw new ValidationError(
        'invalid-input',
        `payload must be a string of at most ${MAX_EVENT_PAYLOAD} characters.`,
        { field: 'payload' },
      );
    }
    const opt = (field: string, v: unknown) =>
      v === undefined || v === null || v === '' ? null : requireText(field, v, { max: 2048 });
    const action = (MARKETPLACE_ACTIONS as readonly string[]).includes(rawAction)
      ? (rawAction as MarketplaceAction)
      : null;
    return new MarketplaceEvent({
      id: this.ctx.ids.next(),
      source,
      messageId,
      topicArn: opt('topicArn', n.topicArn),
      rawAction,
      action,
      partition,
      productCode: opt('productCode', n.productCode),
      customerIdentifier: opt('customerIdentifier', n.customerIdentifier),
      customerAwsAccountId: opt('customerAwsAccountId', n.customerAwsAccountId),
      licenseArn: opt('licenseArn', n.licenseArn),
      agreementId: opt('agreementId', n.agreementId),
      offerId: opt('offerId', n.offerId),
      freeTrial: typeof n.freeTrial === 'boolean' ? n.freeTrial : null,
      occurredAt,
      receivedAt: now,
      payload: n.payload,
      status: 'received',
      outcome: null,
      cloudAccountId: null,
      attempts: 0,
      lastError: null,
      processedAt: null,
      version: 1,
    });
  }
}

export interface ProcessOutcome {
  eventId: string;
  status: MarketplaceEvent['status'];
  outcome: string | null;
}

/**
 * Act on one stored message: lifecycle actions go through the cloud account's state machine; entitlement
 * updates re-read the entitlements from AWS; messages for unknown buyers are parked until their
 * registration completes; unknown actions are kept, alerted and never retried.
 */
export class ProcessMarketplaceEvent {
  constructor(private readonly ctx: CoreContext) {}

  async execute(input: { eventId: string }): Promise<ProcessOutcome> {
    const ctx = this.ctx;
    const peek = await ctx.uow.read(async (tx) => {
      const e = await tx.marketplaceEvents.get(input.eventId);
      if (!e) throw new NotFoundError('marketplace-event', input.eventId);
      const ca = e.cloudAccountId
        ? await tx.cloudAccounts.get(e.cloudAccountId)
        : await tx.cloudAccounts.findByCustomer(e.customerRef);
      return { e, ca };
    });
    const { e } = peek;
    if (e.status === 'processed' || e.status === 'ignored')
      return { eventId: e.id, status: e.status, outcome: e.outcome };
    try {
      // The entitlement call happens outside any transaction: no database lock is held while AWS answers.
      const entitlements =
        e.action === 'entitlement-updated' && peek.ca
          ? await ctx.entitlements.read({
              ...peek.ca,
              productCode: peek.ca.productCode,
              partition: peek.ca.partition,
            })
          : null;
      return await ctx.uow.transaction(async (tx) => {
        const now = ctx.clock.now();
        const event = await tx.marketplaceEvents.get(e.id);
        if (!event) throw new NotFoundError('marketplace-event', e.id);
        if (event.status === 'processed' || event.status === 'ignored') {
          return { eventId: event.id, status: event.status, outcome: event.outcome };
        }
        const journal = new Journal(ctx.ids, now, { type: 'aws', messageId: event.messageId });
        event.attempts += 1;
        const known = ctx.config.products.some(
          (p) =>
            p.partition === event.partition && (!event.productCode || p.productCode === event.productCode),
        );
        if (event.rawAction === SNS_UNSUBSCRIBE_CONFIRMATION_ACTION) {
          event.status = 'ignored';
          event.outcome = 'sns-subscription-ended';
          journal.alert(
            'marketplace-sns-subscription-ended',
            'critical',
            `The SNS subscription of ${event.topicArn ?? 'a Marketplace topic'} to this Billing Center ended: its lifecycle messages (cancellations included) no longer arrive. Subscribe the endpoint again (the stored message's SubscribeURL restores it).`,
            { eventId: event.id, messageId: event.messageId, topicArn: event.topicArn },
          );
        } else if (event.action === null || !known) {
          event.status = 'ignored';
          event.outcome = event.action === null ? 'unknown-action' : 'unknown-product';
          journal.alert(
            event.action === null ? 'marketplace-unknown-action' : 'marketplace-unknown-product',
            'warning',
            event.action === null
              ? `Marketplace message ${event.messageId} has the unknown action "${event.rawAction}"; it was stored and not acted on.`
              : `Marketplace message ${event.messageId} is for product ${event.productCode}, which is not configured.`,
            {
              eventId: event.id,
              messageId: event.messageId,
              action: event.rawAction,
              productCode: event.productCode,
            },
          );
        } else {
          const ca = event.cloudAccountId
            ? await tx.cloudAccounts.get(event.cloudAccountId)
            : await tx.cloudAccounts.findByCustomer(event.customerRef);
          if (!ca) {
            event.status = 'parked';
            event.outcome = `waiting for the registration of ${describeCustomerRef(event.customerRef)}`;
          } else if (event.action === 'entitlement-updated') {
            if (!entitlements) {
              // The buyer registered between the two transactions: read the entitlements on the next pass.
              event.status = 'received';
              event.cloudAccountId = ca.id;
            } else {
              ca.setEntitlements(entitlements, now);
              await tx.cloudAccounts.save(ca);
              journal.audit(
                'cloud-account.entitlements-updated',
                { type: 'cloud-account', id: ca.id },
                ca.ownerAccountId,
                {
                  entitlements: entitlements.map((x) => ({
                    ...x,
                    expiresAt: x.expiresAt?.toISOString() ?? null,
                  })),
                },
              );
              journal.event('cloud-account.entitlements-updated', {
                cloudAccountId: ca.id,
                accountId: ca.ownerAccountId,
                count: entitlements.length,
              });
              event.status = 'processed';
              event.outcome = `entitlements: ${entitlements.length}`;
              event.cloudAccountId = ca.id;
            }
          } else {
            event.cloudAccountId = ca.id;
            event.outcome = await applyLifecycleEvent(
              ctx,
              tx,
              journal,
              ca,
              event,
              event.action as LifecycleAction,
              now,
            );
            event.status = 'processed';
          }
        }
        if (event.status === 'processed' || event.status === 'ignored') event.processedAt = now;
        event.lastError = null;
        await tx.marketplaceEvents.save(event);
        await journal.flush(tx);
        return { eventId: event.id, status: event.status, outcome: event.outcome };
      });
    } catch (err) {
      await this.recordFailure(e.id, err);
      throw err;
    }
  }

  private async recordFailure(eventId: string, err: unknown): Promise<void> {
    const message = isDomainError(err)
      ? `${err.code}: ${err.message}`
      : err instanceof Error
        ? err.message
        : String(err);
    await this.ctx.uow
      .transaction(async (tx) => {
        const ev = await tx.marketplaceEvents.get(eventId);
        if (!ev || ev.status === 'processed' || ev.status === 'ignored') return;
        ev.status = 'failed';
        ev.attempts += 1;
        ev.lastError = message.slice(0, 1000);
        await tx.marketplaceEvents.save(ev);
      })
      .catch(() => undefined); // the original error is what the caller needs to see
  }
}

/** Retry everything stored but not processed: a crash between storing and acting loses nothing. */
export class ProcessPendingMarketplaceEvents {
  constructor(
    private readonly ctx: CoreContext,
    private readonly processOne = new ProcessMarketplaceEvent(ctx),
  ) {}

  async execute(input: { limit?: number } = {}): Promise<{ processed: number; failed: number }> {
    const limit = requireWholeNumber('limit', input.limit ?? 100);
    const pending = await this.ctx.uow.read((tx) => tx.marketplaceEvents.listUnprocessed(limit));
    let processed = 0;
    let failed = 0;
    for (const e of pending) {
      try {
        await this.processOne.execute({ eventId: e.id });
        processed += 1;
      } catch {
        failed += 1;
      }
    }
    return { processed, failed };
  }
}

/**
 * Parked messages whose buyer has a cloud account by now are applied. A registration applies the messages
 * parked before it, but one parked while the registration was committing is seen by neither transaction
 * (each looked before the other committed), and a message can match only through an identifier the cloud
 * account learned later (an agreement's offer id): this pass, run by the inbox's periodic sweep, closes both
 * gaps. Only messages received within `UNPARK_WINDOW_MS` are looked at, so that buyers who never register
 * do not cost a lookup on every pass.
 */
export class ApplyParkedMarketplaceEvents {
  constructor(private readonly ctx: CoreContext) {}

  async execute(): Promise<{ applied: number }> {
    const ctx = this.ctx;
    const now = ctx.clock.now();
    const since = new Date(now.getTime() - UNPARK_WINDOW_MS);
    let applied = 0;
    for (const partition of AWS_PARTITIONS) {
      const parked = await ctx.uow.read((tx) => tx.marketplaceEvents.listParked(partition, since));
      const looked = new Set<string>();
      for (const e of parked) {
        const key = describeCustomerRef(e.customerRef);
        if (looked.has(key)) continue;
        looked.add(key);
        const ca = await ctx.uow.read((tx) => tx.cloudAccounts.findByCustomer(e.customerRef));
        if (!ca) continue;
        try {
          applied += await ctx.uow.transaction(async (tx) => {
            const fresh = await tx.cloudAccounts.get(ca.id);
            if (!fresh) return 0;
            const journal = new Journal(ctx.ids, now, { type: 'system', process: 'marketplace-inbox' });
            const n = await applyParkedEvents(ctx, tx, journal, fresh, now);
            await journal.flush(tx);
            return n;
          });
        } catch (err) {
          // a registration applying the same messages right now wins; the next pass sees what is left
          if (!isDomainError(err) || err.kind !== 'conflict') throw err;
        }
      }
    }
    return { applied };
  }
}

/** How far back the inbox sweep looks for parked messages whose buyer has registered since. */
export const UNPARK_WINDOW_MS = 7 * 24 * 3_600_000;
