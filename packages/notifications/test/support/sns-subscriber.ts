// A subscriber of the events topic, as the observability platform would run one: an HTTP endpoint that
// confirms its subscription, records every Notification, and deduplicates by the `eventId` attribute.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DomainEventEnvelope } from '../../src/events/domain-event-message.js';
import { waitUntil } from './wait.js';

export interface SnsNotification {
  MessageId: string;
  TopicArn: string;
  Message: string;
  MessageAttributes?: Record<string, { Type: string; Value: string }>;
}

export class SnsSubscriber {
  readonly notifications: SnsNotification[] = [];
  url = '';
  private server: Server | null = null;
  private confirmations: Array<Promise<void>> = [];

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => {
        body += c;
      });
      req.on('end', () => {
        const msg = JSON.parse(body) as Record<string, unknown>;
        if (msg.Type === 'SubscriptionConfirmation') {
          this.confirmations.push(
            fetch(String(msg.SubscribeURL)).then(async (r) => {
              if (!r.ok) throw new Error(`confirming the subscription: ${r.status} ${await r.text()}`);
            }),
          );
        } else if (msg.Type === 'Notification') {
          this.notifications.push(msg as unknown as SnsNotification);
        }
        res.statusCode = 200;
        res.end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/events`;
    return this;
  }

  /** Waits until the SubscriptionConfirmation has arrived and was confirmed. */
  async confirmed(timeoutMs = 5_000): Promise<void> {
    await waitUntil(() => this.confirmations.length > 0, timeoutMs, 'no SubscriptionConfirmation arrived');
    await Promise.all(this.confirmations);
  }

  /** Waits until at least `n` notifications have arrived. */
  async waitFor(n: number, timeoutMs = 5_000): Promise<void> {
    await waitUntil(
      () => this.notifications.length >= n,
      timeoutMs,
      () => `expected ${n} notifications, got ${this.notifications.length}`,
    );
  }

  /** The events as a deduplicating subscriber sees them: the first copy of each `eventId`, in arrival order. */
  distinctEvents(): DomainEventEnvelope[] {
    const seen = new Set<string>();
    const out: DomainEventEnvelope[] = [];
    for (const n of this.notifications) {
      const id = n.MessageAttributes?.eventId?.Value;
      if (!id || seen.has(id)) continue;
      seen.add(id);
      out.push(JSON.parse(n.Message) as DomainEventEnvelope);
    }
    return out;
  }

  clear(): void {
    this.notifications.length = 0;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
