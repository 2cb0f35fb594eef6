import type { PublishedDomainEvent } from '@billing-center/core';

/** The JSON a subscriber of the events topic receives as the SNS `Message`. */
export interface DomainEventEnvelope {
  id: string;
  type: string;
  /** ISO 8601, UTC. */
  occurredAt: string;
  payload: Record<string, unknown>;
}

export function domainEventEnvelope(event: PublishedDomainEvent): DomainEventEnvelope {
  return {
    id: event.id,
    type: event.type,
    occurredAt: event.occurredAt.toISOString(),
    payload: event.payload,
  };
}

// SNS FIFO: MessageGroupId is 1 to 128 of letters, digits and ASCII punctuation.
const GROUP_ID_CHAR = /[^A-Za-z0-9!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;

/**
 * The FIFO ordering group of an event. Events of one workspace stay in order (locked → unlocked →
 * fully-locked), whatever changed it: the workspace id comes first even when a cascade also names the cloud
 * account, or a workspace's lock and its later unlock could land in two groups and overtake each other.
 * Cloud-account events group by the cloud account; anything else by its type.
 */
export function messageGroupIdOf(event: PublishedDomainEvent): string {
  const p = event.payload ?? {};
  const key = [p.workspaceId, p.cloudAccountId].find((v) => typeof v === 'string' && v.length > 0) as
    | string
    | undefined;
  return (key ?? event.type).replace(GROUP_ID_CHAR, '_').slice(0, 128);
}
