import { inject, injectable } from 'inversify';
import { type DeliveryPolicy, SimulatorConfig } from '../config/simulator-config.js';
import { FaultInjector } from '../faults/fault-injector.js';
import type { SnsEnvelope } from './sns-signature.js';

export interface DeliveryTarget {
  subscriptionArn: string;
  endpoint: string;
}

export interface DeliveryLogEntry {
  seq: number;
  messageId: string;
  type: SnsEnvelope['Type'];
  topicArn: string;
  subscriptionArn: string;
  endpoint: string;
  /** A copy sent on purpose by the duplicate-delivery fault. */
  duplicate: boolean;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
}

/** The delays before each retry: the immediate phase, then exponential backoff capped at maxDelayMs. */
export function retryDelays(policy: DeliveryPolicy): number[] {
  const delays: number[] = Array.from({ length: policy.immediateRetries }, () => 0);
  for (let i = 0; i < policy.backoffRetries; i += 1) {
    delays.push(Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** i));
  }
  return delays;
}

/** SNS retries server errors (5xx), throttling (429), timeouts and connection failures; other answers are final. */
function retryable(status: number | null): boolean {
  return status === null || status === 429 || status >= 500;
}

/**
 * Delivers signed messages to HTTP/S endpoints the way SNS does: a POST whose body is the JSON envelope sent
 * as text/plain, with the x-amz-sns-* headers, retried by the delivery policy. Faults can duplicate a
 * delivery or hold a few back and deliver them in reverse order.
 */
@injectable()
export class SnsDelivery {
  private readonly log: DeliveryLogEntry[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly timers = new Map<NodeJS.Timeout, () => void>();
  private readonly held = new Map<string, { left: number; items: Array<() => Promise<void>> }>();
  private generation = 0;
  private seq = 0;

  constructor(
    @inject(SimulatorConfig) private readonly config: SimulatorConfig,
    @inject(FaultInjector) private readonly faults: FaultInjector,
  ) {}

  /** Queues one message to one endpoint; returns at once (delivery runs in the background). */
  deliver(target: DeliveryTarget, envelope: SnsEnvelope): void {
    const copies = this.faults.drawDuplicateDelivery() ? 2 : 1;
    for (let copy = 0; copy < copies; copy += 1) {
      const send = () => this.start(target, envelope, copy > 0);
      const window = this.faults.takeReorderWindow();
      if (window > 1) this.held.set(target.subscriptionArn, { left: window, items: [] });
      const hold = this.held.get(target.subscriptionArn);
      if (hold) {
        hold.items.push(send);
        hold.left -= 1;
        if (hold.left <= 0) this.releaseHeld(target.subscriptionArn);
      } else void send();
    }
  }

  /** Sends every held-back delivery now, newest first, one after the other so that the order is kept. */
  releaseHeld(subscriptionArn?: string): number {
    let released = 0;
    for (const [arn, hold] of [...this.held]) {
      if (subscriptionArn && arn !== subscriptionArn) continue;
      this.held.delete(arn);
      const sends = hold.items.reverse();
      released += sends.length;
      this.track(
        (async () => {
          for (const send of sends) await send();
        })(),
      );
    }
    return released;
  }

  deliveries(filter: { messageId?: string; endpoint?: string; status?: string } = {}): DeliveryLogEntry[] {
    return this.log
      .filter(
        (d) =>
          (!filter.messageId || d.messageId === filter.messageId) &&
          (!filter.endpoint || d.endpoint === filter.endpoint) &&
          (!filter.status || d.status === filter.status),
      )
      .map((d) => ({ ...d }));
  }

  /** Resolves when no delivery is running or waiting for a retry (held-back ones do not count). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  reset(): void {
    this.generation += 1;
    // Waiting retries end now (their generation is stale), so idle() does not wait for them.
    for (const [t, wake] of this.timers) {
      clearTimeout(t);
      wake();
    }
    this.timers.clear();
    this.held.clear();
    this.log.length = 0;
  }

  private track(run: Promise<void>): Promise<void> {
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
    return run;
  }

  private start(target: DeliveryTarget, envelope: SnsEnvelope, duplicate: boolean): Promise<void> {
    this.seq += 1;
    const entry: DeliveryLogEntry = {
      seq: this.seq,
      messageId: envelope.MessageId,
      type: envelope.Type,
      topicArn: envelope.TopicArn,
      subscriptionArn: target.subscriptionArn,
      endpoint: target.endpoint,
      duplicate,
      status: 'pending',
      attempts: 0,
      lastStatusCode: null,
      lastError: null,
    };
    this.log.push(entry);
    if (this.log.length > 10_000) this.log.splice(0, this.log.length - 10_000);
    return this.track(this.run(target, envelope, entry, this.generation));
  }

  private async run(target: DeliveryTarget, envelope: SnsEnvelope, entry: DeliveryLogEntry, gen: number) {
    const policy = this.config.sns.delivery;
    const delays = retryDelays(policy);
    const body = formatSnsBody(envelope);
    for (let attempt = 0; ; attempt += 1) {
      if (gen !== this.generation) return;
      entry.attempts += 1;
      const status = await this.post(target, envelope, body, policy.timeoutMs, entry);
      entry.lastStatusCode = status;
      if (status !== null && status >= 200 && status < 300) {
        entry.status = 'delivered';
        return;
      }
      const delay = delays[attempt];
      if (!retryable(status) || delay === undefined) {
        entry.status = 'failed';
        return;
      }
      if (delay > 0) await this.sleep(delay);
    }
  }

  private async post(
    target: DeliveryTarget,
    envelope: SnsEnvelope,
    body: string,
    timeoutMs: number,
    entry: DeliveryLogEntry,
  ): Promise<number | null> {
    const headers: Record<string, string> = {
      'content-type': 'text/plain; charset=UTF-8',
      'user-agent': 'Amazon Simple Notification Service Agent',
      'x-amz-sns-message-type': envelope.Type,
      'x-amz-sns-message-id': envelope.MessageId,
      'x-amz-sns-topic-arn': envelope.TopicArn,
    };
    if (envelope.Type !== 'SubscriptionConfirmation')
      headers['x-amz-sns-subscription-arn'] = target.subscriptionArn;
    if (envelope.Type === 'Notification') headers['x-amz-sns-rawdelivery'] = 'false';
    try {
      const response = await fetch(target.endpoint, {
        method: 'POST',
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.body?.cancel();
      entry.lastError = response.ok ? null : `HTTP ${response.status}`;
      return response.status;
    } catch (error) {
      entry.lastError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      return null;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.set(timer, resolve);
    });
  }
}

/** The body as SNS writes it: one `"Key" : value` per line, in SNS's field order. */
export function formatSnsBody(envelope: SnsEnvelope): string {
  const lines = Object.entries(envelope)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `  ${JSON.stringify(k)} : ${JSON.stringify(v)}`);
  return `{\n${lines.join(',\n')}\n}`;
}
