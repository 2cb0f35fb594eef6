import Type, { type Static, type TSchema } from 'typebox';

/*
 * The API's shared response shapes. Each is registered once (`app.addSchema`) and becomes an OpenAPI
 * component; routes refer to it with `ref(...)`, so the document and the generated client name the types.
 * Request bodies are declared next to their routes and always refuse unknown properties.
 */

const strict = { additionalProperties: false } as const;
const DateTime = (description?: string) =>
  Type.String({ format: 'date-time', ...(description ? { description } : {}) });
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

/** A response reference to a registered component, typed as the component. */
export function ref<T extends TSchema>(schema: T) {
  const id = (schema as { $id?: unknown }).$id;
  if (typeof id !== 'string') throw new Error('ref() needs a schema with an $id');
  return Type.Unsafe<Static<T>>({ $ref: `${id}#` });
}

export const ErrorSchema = Type.Object(
  {
    error: Type.Object(
      {
        code: Type.String({
          description: 'Stable, machine-readable code, e.g. `billing-method-change-limit`.',
        }),
        message: Type.String({ description: 'What went wrong and what to do, for a person.' }),
        details: Type.Optional(
          Type.Object(
            {},
            {
              additionalProperties: true,
              description:
                'Structured context: `fields` for invalid requests, `failures` for bulk binds, the offending ids.',
            },
          ),
        ),
      },
      strict,
    ),
  },
  { $id: 'Error', ...strict, description: 'The one error body of every endpoint.' },
);

export const AccountSchema = Type.Object(
  {
    id: Type.String(),
    username: Type.String(),
    email: Type.String(),
    company: Type.String(),
    anyBillingMethod: Type.Boolean({
      description: 'Set by an operator: AWS billing is offered to workspaces on any site.',
    }),
    createdAt: DateTime(),
  },
  { $id: 'Account', ...strict },
);

export const BillingMethodSchema = Type.Object(
  {
    kind: Type.Union([Type.Literal('billing-center'), Type.Literal('cloud-account')]),
    cloudAccountId: Nullable(Type.String({ description: 'Set when kind is cloud-account.' })),
  },
  { $id: 'BillingMethod', ...strict },
);

const LockReason = Type.Union([
  Type.Literal('cloud-subscription-cancelled'),
  Type.Literal('cloud-subscription-failed'),
  Type.Literal('arrears'),
  Type.Literal('operator'),
]);

export const LockSchema = Type.Object(
  {
    reason: LockReason,
    lockedAt: DateTime(),
    graceEndsAt: DateTime('Until then the workspace can still be read, unlocked or dissolved.'),
    fullyLockedAt: Nullable(DateTime('Set once the grace period ended: the platform refuses its data.')),
    cloudAccountId: Nullable(Type.String({ description: 'The cloud account whose subscription ended.' })),
  },
  { $id: 'Lock', ...strict },
);

export const WorkspaceSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    language: Type.Union([Type.Literal('en'), Type.Literal('zh')]),
    siteId: Type.String(),
    ownerAccountId: Type.String(),
    billingMethod: Nullable(ref(BillingMethodSchema)),
    billingMethodEffectiveFrom: DateTime(
      'When the billing method takes (or took) effect: changes apply from the next UTC hour.',
    ),
    lastBillingMethodChangeAt: Nullable(DateTime()),
    locked: Type.Boolean(),
    lock: Nullable(ref(LockSchema)),
    dissolvedAt: Nullable(DateTime()),
    createdAt: DateTime(),
  },
  { $id: 'Workspace', ...strict },
);

export const WorkspacePageSchema = Type.Object(
  {
    items: Type.Array(ref(WorkspaceSchema)),
    nextCursor: Nullable(
      Type.String({ description: 'Pass as `cursor` for the next page; null on the last.' }),
    ),
  },
  { $id: 'WorkspacePage', ...strict },
);

export const BindingSchema = Type.Object(
  {
    id: Type.String(),
    workspaceId: Type.String(),
    cloudAccountId: Type.String(),
    from: DateTime(),
    to: Nullable(DateTime()),
    endReason: Nullable(Type.String()),
  },
  { $id: 'Binding', ...strict },
);

export const EntitlementSchema = Type.Object(
  { dimension: Type.String(), value: Nullable(Type.Number()), expiresAt: Nullable(DateTime()) },
  { $id: 'Entitlement', ...strict },
);

export const CloudAccountSchema = Type.Object(
  {
    id: Type.String(),
    provider: Type.Literal('aws-marketplace'),
    partition: Type.Union([Type.Literal('aws'), Type.Literal('aws-cn')]),
    productCode: Type.String(),
    customerAwsAccountId: Nullable(Type.String()),
    customerIdentifier: Nullable(Type.String()),
    licenseArn: Nullable(Type.String()),
    agreementId: Nullable(Type.String()),
    offerId: Nullable(Type.String()),
    freeTrial: Type.Boolean(),
    state: Type.Union([
      Type.Literal('pending'),
      Type.Literal('active'),
      Type.Literal('unsubscribe-pending'),
      Type.Literal('cancelled'),
      Type.Literal('failed'),
    ]),
    stateChangedAt: DateTime(),
    cancelledAt: Nullable(DateTime()),
    entitlements: Type.Array(ref(EntitlementSchema)),
    createdAt: DateTime(),
  },
  { $id: 'CloudAccount', ...strict },
);

export const SubscriptionEventSchema = Type.Object(
  {
    id: Type.String(),
    source: Type.Union([Type.Literal('sns'), Type.Literal('eventbridge')]),
    messageId: Type.String(),
    action: Type.String({ description: 'The marketplace action as AWS sent it, e.g. unsubscribe-pending.' }),
    occurredAt: DateTime(),
    receivedAt: DateTime(),
    status: Type.String(),
    outcome: Nullable(Type.String()),
  },
  { $id: 'SubscriptionEvent', ...strict },
);

export const AllocationSchema = Type.Object(
  { workspaceId: Nullable(Type.String()), quantity: Type.Integer() },
  { $id: 'Allocation', ...strict },
);

export const MeteringRecordSchema = Type.Object(
  {
    id: Type.String(),
    dimension: Type.String(),
    hour: DateTime(),
    quantity: Type.Integer(),
    allocations: Type.Array(ref(AllocationSchema)),
    status: Type.String(),
    isFinal: Type.Boolean(),
    attempts: Type.Integer(),
    lastError: Nullable(Type.String()),
    awsMeteringRecordId: Nullable(Type.String()),
    sealedAt: Nullable(DateTime()),
    resolvedAt: Nullable(DateTime()),
    deadline: DateTime(),
  },
  { $id: 'MeteringRecord', ...strict },
);

export const MeteringRecordPageSchema = Type.Object(
  { items: Type.Array(ref(MeteringRecordSchema)), nextCursor: Nullable(Type.String()) },
  { $id: 'MeteringRecordPage', ...strict },
);

export const AuditEntrySchema = Type.Object(
  {
    id: Type.String(),
    at: DateTime(),
    actorType: Type.String(),
    actorId: Nullable(Type.String()),
    action: Type.String(),
    entityType: Type.String(),
    entityId: Type.String(),
    requestId: Nullable(Type.String()),
    details: Type.Object({}, { additionalProperties: true }),
  },
  { $id: 'AuditEntry', ...strict },
);

export const AuditPageSchema = Type.Object(
  { items: Type.Array(ref(AuditEntrySchema)), nextCursor: Nullable(Type.String()) },
  { $id: 'AuditPage', ...strict },
);

export const ApiTokenSchema = Type.Object(
  {
    id: Type.String(),
    name: Nullable(Type.String()),
    createdAt: DateTime(),
    expiresAt: Nullable(DateTime()),
    lastUsedAt: Nullable(DateTime()),
    revokedAt: Nullable(DateTime()),
  },
  { $id: 'ApiToken', ...strict },
);

export const SessionSchema = Type.Object(
  {
    id: Type.String(),
    expiresAt: DateTime('The absolute end; the session also ends after a period without requests.'),
    csrfToken: Type.String({
      description:
        'Send it as the `X-CSRF-Token` header on every cookie-authenticated POST, PUT, PATCH and DELETE.',
    }),
    account: ref(AccountSchema),
  },
  { $id: 'Session', ...strict },
);

export const RegistrationTicketSchema = Type.Object(
  {
    id: Type.String(),
    status: Type.Union([Type.Literal('open'), Type.Literal('expired'), Type.Literal('completed')]),
    partition: Type.Union([Type.Literal('aws'), Type.Literal('aws-cn')]),
    productCode: Type.String(),
    customerAwsAccountId: Nullable(Type.String()),
    freeTrial: Type.Boolean(),
    expiresAt: DateTime(),
    completedAt: Nullable(DateTime()),
    cloudAccountId: Nullable(Type.String()),
  },
  { $id: 'RegistrationTicket', ...strict },
);

export const RegistrationResultSchema = Type.Object(
  {
    account: ref(AccountSchema),
    cloudAccount: ref(CloudAccountSchema),
    workspaces: Type.Array(ref(WorkspaceSchema)),
    session: Type.Optional(ref(SessionSchema)),
  },
  { $id: 'RegistrationResult', ...strict },
);

export const BillingStatusSchema = Type.Object(
  {
    workspaceId: Type.String(),
    dissolved: Type.Boolean(),
    locked: Type.Boolean(),
    fullyLocked: Type.Boolean(),
    lock: Nullable(ref(LockSchema)),
    payer: Nullable(ref(BillingMethodSchema)),
    nextPayer: Nullable(
      Type.Object({ method: Nullable(ref(BillingMethodSchema)), from: DateTime() }, strict),
    ),
  },
  { $id: 'BillingStatus', ...strict },
);

export const UsageResultSchema = Type.Object(
  {
    index: Type.Integer({ description: 'Position of the record in the request.' }),
    idempotencyKey: Nullable(Type.String()),
    result: Type.Union([Type.Literal('accepted'), Type.Literal('duplicate'), Type.Literal('rejected')]),
    usageId: Type.Optional(Type.String()),
    status: Type.Optional(Type.String()),
    error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() }, strict)),
  },
  { $id: 'UsageResult', ...strict },
);

/** Registered with `app.addSchema`, in dependency order. */
export const SHARED_SCHEMAS = [
  ErrorSchema,
  AccountSchema,
  BillingMethodSchema,
  LockSchema,
  WorkspaceSchema,
  WorkspacePageSchema,
  BindingSchema,
  EntitlementSchema,
  CloudAccountSchema,
  SubscriptionEventSchema,
  AllocationSchema,
  MeteringRecordSchema,
  MeteringRecordPageSchema,
  AuditEntrySchema,
  AuditPageSchema,
  ApiTokenSchema,
  SessionSchema,
  RegistrationTicketSchema,
  RegistrationResultSchema,
  BillingStatusSchema,
  UsageResultSchema,
];

const ErrorRef = ref(ErrorSchema);

/** The error responses a route documents (every route can answer 500 and 429). */
export function errors(...statuses: number[]): Record<number, typeof ErrorRef> {
  const out: Record<number, typeof ErrorRef> = {};
  for (const s of [...statuses, 429, 500]) out[s] = ErrorRef;
  return out;
}

/** A path parameter id, bounded in length so no lookup runs on a megabyte of text. */
export const Id = Type.String({ minLength: 1, maxLength: 128 });
export const STRICT = strict;

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, description: 'Page size (default 50).' })),
  cursor: Type.Optional(
    Type.String({ minLength: 1, maxLength: 256, description: 'The `nextCursor` of the previous page.' }),
  ),
};
