import { PublishCommand, type PublishCommandInput, SNSClient } from '@aws-sdk/client-sns';
import type { DomainEventPublisher, PublishedDomainEvent } from '@billing-center/core';
import { domainEventEnvelope, messageGroupIdOf } from './domain-event-message.js';

/** Where and how domain events are published (validated by `readNotificationsConfig`). */
export interface SnsPublisherSettings {
  /** `arn:aws:sns:us-east-1:123456789012:billing-center-events` (a `.fifo` name makes it a FIFO topic). */
  topicArn: string;
  /** The topic's region. */
  region: string;
  /** Simulator or VPC endpoint; unset: the SDK resolves AWS's endpoint from the region. */
  endpoint?: string | undefined;
  /** Fixed credentials (the simulator, tests); unset: the SDK's standard provider chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined;
  /** SDK attempts per publish (the SDK's standard retry with jitter); the outbox retries beyond that. */
  maxAttempts: number;
  /** Per-attempt request timeout. */
  requestTimeoutMs: number;
}

export const DEFAULT_SNS_PUBLISHER_OPTIONS = { maxAttempts: 3, requestTimeoutMs: 10_000 } as const;

/** SNS refuses messages over 256 KiB. */
const MAX_MESSAGE_BYTES = 262_144;

/** A publish SNS did not confirm. The outbox keeps the event and retries it. */
export class SnsPublishError extends Error {
  override readonly name = 'SnsPublishError';
}

/** The `Publish` request of one event: the JSON envelope, filterable attributes, FIFO group and dedup id. */
export function publishInputFor(event: PublishedDomainEvent, topicArn: string): PublishCommandInput {
  const input: PublishCommandInput = {
    TopicArn: topicArn,
    Message: JSON.stringify(domainEventEnvelope(event)),
    MessageAttributes: {
      type: { DataType: 'String', StringValue: event.type },
      eventId: { DataType: 'String', StringValue: event.id },
    },
  };
  if (topicArn.endsWith('.fifo')) {
    input.MessageGroupId = messageGroupIdOf(event);
    // SNS drops a second publish of the same id within five minutes; subscribers dedupe beyond that.
    input.MessageDeduplicationId = event.id.slice(0, 128);
  }
  return input;
}

/**
 * Publishes domain events to one SNS topic, for the observability platform and other subscribers. Each
 * publish either gets SNS's MessageId or throws, so the outbox retries until SNS has it: at least once,
 * and subscribers deduplicate by the `eventId` attribute (the event's id).
 */
export class SnsDomainEventPublisher implements DomainEventPublisher {
  readonly client: SNSClient;

  constructor(private readonly settings: SnsPublisherSettings) {
    this.client = new SNSClient({
      region: settings.region,
      maxAttempts: settings.maxAttempts,
      requestHandler: { requestTimeout: settings.requestTimeoutMs },
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      ...(settings.credentials ? { credentials: { ...settings.credentials } } : {}),
    });
  }

  get topicArn(): string {
    return this.settings.topicArn;
  }

  async publish(event: PublishedDomainEvent): Promise<void> {
    const input = publishInputFor(event, this.settings.topicArn);
    const what = `event ${event.id} (${event.type}) to ${this.settings.topicArn}`;
    const bytes = Buffer.byteLength(input.Message ?? '');
    if (bytes > MAX_MESSAGE_BYTES)
      throw new SnsPublishError(
        `Cannot publish ${what}: its message is ${bytes} bytes, SNS takes at most 262144.`,
      );
    let messageId: string | undefined;
    try {
      ({ MessageId: messageId } = await this.client.send(new PublishCommand(input)));
    } catch (e) {
      const err = e as Error & { $metadata?: { httpStatusCode?: number } };
      const status = err.$metadata?.httpStatusCode;
      throw new SnsPublishError(
        `SNS Publish of ${what} failed: ${err.name}${status ? ` (HTTP ${status})` : ''}: ${err.message}`,
        { cause: e },
      );
    }
    if (!messageId) throw new SnsPublishError(`SNS Publish of ${what} answered without a MessageId.`);
  }

  close(): void {
    this.client.destroy();
  }
}
