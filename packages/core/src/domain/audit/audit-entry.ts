/** Who acted: a signed-in customer, an operator, the platform (service key), AWS (inbound message) or the system. */
export type Actor =
  | { type: 'customer'; accountId: string }
  | { type: 'operator'; operatorId: string }
  | { type: 'platform'; keyId: string }
  | { type: 'aws'; messageId?: string }
  | { type: 'system'; process?: string };

export const actorId = (a: Actor): string | null =>
  a.type === 'customer'
    ? a.accountId
    : a.type === 'operator'
      ? a.operatorId
      : a.type === 'platform'
        ? a.keyId
        : a.type === 'aws'
          ? (a.messageId ?? null)
          : (a.process ?? null);

/** Who changed what, when, from which request. Append-only. */
export interface AuditEntry {
  id: string;
  at: Date;
  actorType: Actor['type'];
  actorId: string | null;
  /** e.g. `workspace.billing-method-changed` */
  action: string;
  entityType: string;
  entityId: string;
  /** The tenant whose audit log shows the entry (null for operator-only entries). */
  accountId: string | null;
  requestId: string | null;
  details: Record<string, unknown>;
}
