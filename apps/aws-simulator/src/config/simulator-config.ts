import Type, { type Static } from 'typebox';
import Value from 'typebox/value';

const AccountId = Type.String({ pattern: '^[0-9]{12}$' });
const Partition = Type.Union([Type.Literal('aws'), Type.Literal('aws-cn')]);
const EntitlementValue = Type.Object(
  {
    IntegerValue: Type.Optional(Type.Integer()),
    DoubleValue: Type.Optional(Type.Number()),
    BooleanValue: Type.Optional(Type.Boolean()),
    StringValue: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

const ProductSchema = Type.Object(
  {
    productCode: Type.String({ pattern: '^[A-Za-z0-9]{1,64}$' }),
    partition: Partition,
    title: Type.String({ minLength: 1 }),
    /** Where "Set up your account" posts `x-amzn-marketplace-token` (the seller's fulfillment URL). */
    fulfillmentUrl: Type.String({ pattern: '^https?://' }),
    offerId: Type.String({ minLength: 1 }),
    dimensions: Type.Array(
      Type.Object(
        { name: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,255}$' }), description: Type.String() },
        { additionalProperties: false },
      ),
      { minItems: 1 },
    ),
    /** How long after its hour a record is accepted (24 for current SaaS products, 6 for older ones). */
    meteringWindowHours: Type.Integer({ minimum: 1, maximum: 24 }),
    freeTrial: Type.Boolean(),
    /** What GetEntitlements answers for a new subscription (contracts); empty for pure metering. */
    entitlements: Type.Array(
      Type.Object(
        { dimension: Type.String({ minLength: 1 }), value: EntitlementValue },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const BuyerSchema = Type.Object(
  {
    awsAccountId: AccountId,
    name: Type.String({ minLength: 1 }),
    /** The buyer's payment fails: subscribing publishes `subscribe-fail`. */
    paymentFails: Type.Boolean(),
  },
  { additionalProperties: false },
);

const SnsSubscriptionSchema = Type.Object(
  {
    /** Which marketplace topics: `subscription`, `entitlement`, or `all`; for every product unless one is named. */
    topics: Type.Union([Type.Literal('subscription'), Type.Literal('entitlement'), Type.Literal('all')]),
    productCode: Type.Optional(Type.String()),
    endpoint: Type.String({ pattern: '^https?://' }),
  },
  { additionalProperties: false },
);

const DeliverySchema = Type.Object(
  {
    /** Retries right after a failure, without delay (SNS: "immediate retry phase"). */
    immediateRetries: Type.Integer({ minimum: 0, maximum: 100 }),
    /** Retries after that, with exponential backoff from minDelayMs up to maxDelayMs. */
    backoffRetries: Type.Integer({ minimum: 0, maximum: 100 }),
    minDelayMs: Type.Integer({ minimum: 0 }),
    maxDelayMs: Type.Integer({ minimum: 0 }),
    /** One delivery attempt gives up after this long (SNS: 15 s). */
    timeoutMs: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
);

const ApiDestinationSchema = Type.Object(
  {
    url: Type.String({ pattern: '^https?://' }),
    /** The API destination connection's API-key header and its value (the shared secret). */
    headerName: Type.String({ pattern: '^[A-Za-z0-9-]{1,128}$' }),
    headerValue: Type.String({ minLength: 1 }),
  },
  { additionalProperties: false },
);

export const SimulatorConfigSchema = Type.Object(
  {
    /** Base URL at which endpoints reach the simulator (certificate, SubscribeURL, buyer pages). Default: the listening address. */
    publicUrl: Type.Optional(Type.String({ pattern: '^https?://[^/?#]+$' })),
    /** The AWS account that owns the marketplace SNS topics. */
    marketplaceAccountId: AccountId,
    /** The seller's account: owns the license ARNs and the topics created through CreateTopic. */
    sellerAccountId: AccountId,
    products: Type.Array(ProductSchema, { minItems: 1 }),
    buyers: Type.Array(BuyerSchema, { minItems: 1 }),
    /** How long a registration token from "Set up your account" resolves. */
    tokenTtlSeconds: Type.Integer({ minimum: 1 }),
    /** Usage stamped this far in the future is still accepted (clock skew). */
    futureSkewSeconds: Type.Integer({ minimum: 0 }),
    /** Time between `unsubscribe-pending` and `unsubscribe-success` after "Cancel subscription". */
    unsubscribeDelayMs: Type.Integer({ minimum: 0 }),
    /** GetEntitlements page size when the request gives no MaxResults (AWS: 25, the maximum too). */
    entitlementsPageSize: Type.Integer({ minimum: 1, maximum: 25 }),
    /** EventBridge `aws.agreement-marketplace` events: where a seller's rules would send them. */
    eventBridge: Type.Object(
      {
        /** POSTed as JSON with the shared-secret header, as an EventBridge API destination does. */
        apiDestinations: Type.Array(ApiDestinationSchema),
        /** A seller topic (in each partition's region) that receives every event as its Message; null: none. */
        snsTopicName: Type.Union([Type.String({ pattern: '^[A-Za-z0-9_-]{1,256}$' }), Type.Null()]),
      },
      { additionalProperties: false },
    ),
    sns: Type.Object(
      {
        /** '1' (SHA1withRSA, SNS's default) or '2' (SHA256withRSA). */
        signatureVersion: Type.Union([Type.Literal('1'), Type.Literal('2')]),
        delivery: DeliverySchema,
        /** Endpoints subscribed to the marketplace topics at start (each gets a SubscriptionConfirmation). */
        subscriptions: Type.Array(SnsSubscriptionSchema),
        /** RSA key size of the generated signing key. */
        keyBits: Type.Union([Type.Literal(2048), Type.Literal(3072), Type.Literal(4096)]),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export type SimulatorConfig = Static<typeof SimulatorConfigSchema>;
export type ProductConfig = SimulatorConfig['products'][number];
export type BuyerConfig = SimulatorConfig['buyers'][number];
export type DeliveryPolicy = SimulatorConfig['sns']['delivery'];
export type EntitlementValueConfig = ProductConfig['entitlements'][number]['value'];
export type Partition = ProductConfig['partition'];

/** Injection token of the validated configuration. */
export const SimulatorConfig = Symbol('SimulatorConfig');

/**
 * Where "Set up your account" posts the token: the Billing Center API's fulfillment URL of the product's
 * partition (`{partition}` is replaced by `aws` or `aws-cn`, as each product has its own URL at AWS).
 */
export const DEFAULT_FULFILLMENT_URL = 'http://127.0.0.1:3000/marketplace/{partition}/fulfillment';

const forPartition = (url: string, partition: 'aws' | 'aws-cn') => url.replaceAll('{partition}', partition);

/** A development marketplace: one global and one China product with a cost dimension, three buyers. */
export function defaultSimulatorConfig(fulfillmentUrl = DEFAULT_FULFILLMENT_URL): SimulatorConfig {
  const dimensions = [
    { name: 'usage_cost', description: 'Rated usage cost, in cents (0.01 per unit)' },
    { name: 'workspaces', description: 'Active workspaces' },
  ];
  return {
    marketplaceAccountId: '287250355862',
    sellerAccountId: '111122223333',
    products: [
      {
        productCode: 'bcglobal0000000000000001',
        partition: 'aws',
        title: 'Observability Platform (global)',
        fulfillmentUrl: forPartition(fulfillmentUrl, 'aws'),
        offerId: 'offer-global0000000000001',
        dimensions,
        meteringWindowHours: 24,
        freeTrial: false,
        entitlements: [],
      },
      {
        productCode: 'bcchina00000000000000001',
        partition: 'aws-cn',
        title: 'Observability Platform (China)',
        fulfillmentUrl: forPartition(fulfillmentUrl, 'aws-cn'),
        offerId: 'offer-china00000000000001',
        dimensions,
        meteringWindowHours: 24,
        freeTrial: false,
        entitlements: [],
      },
    ],
    buyers: [
      { awsAccountId: '210987654321', name: 'Example Buyer', paymentFails: false },
      { awsAccountId: '222233334444', name: 'Second Buyer', paymentFails: false },
      { awsAccountId: '999988887777', name: 'Buyer Whose Payment Fails', paymentFails: true },
    ],
    tokenTtlSeconds: 3600,
    futureSkewSeconds: 300,
    unsubscribeDelayMs: 10_000,
    entitlementsPageSize: 25,
    eventBridge: { apiDestinations: [], snsTopicName: null },
    sns: {
      signatureVersion: '1',
      delivery: {
        immediateRetries: 3,
        backoffRetries: 5,
        minDelayMs: 1_000,
        maxDelayMs: 20_000,
        timeoutMs: 15_000,
      },
      subscriptions: [],
      keyBits: 2048,
    },
  };
}

export class InvalidSimulatorConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid aws-simulator configuration: ${problems.join('; ')}`);
    this.name = 'InvalidSimulatorConfigError';
  }
}

/** Validates a complete configuration once at start; every problem is named by its path. */
export function parseSimulatorConfig(input: unknown): SimulatorConfig {
  const problems = [...Value.Errors(SimulatorConfigSchema, input)].map(
    (e) => `${e.instancePath || '/'} ${e.message}`,
  );
  if (problems.length > 0) throw new InvalidSimulatorConfigError(problems);
  const config = input as SimulatorConfig;
  const codes = new Set<string>();
  for (const p of config.products) {
    if (codes.has(p.productCode)) problems.push(`/products duplicate productCode ${p.productCode}`);
    codes.add(p.productCode);
    const names = p.dimensions.map((d) => d.name);
    if (new Set(names).size !== names.length) problems.push(`/products/${p.productCode} duplicate dimension`);
  }
  const buyers = config.buyers.map((b) => b.awsAccountId);
  if (new Set(buyers).size !== buyers.length) problems.push('/buyers duplicate awsAccountId');
  const { minDelayMs, maxDelayMs } = config.sns.delivery;
  if (maxDelayMs < minDelayMs) problems.push('/sns/delivery maxDelayMs must be at least minDelayMs');
  for (const s of config.sns.subscriptions) {
    if (s.productCode && !codes.has(s.productCode))
      problems.push(`/sns/subscriptions unknown productCode ${s.productCode}`);
  }
  if (problems.length > 0) throw new InvalidSimulatorConfigError(problems);
  return config;
}

export type SimulatorConfigOverrides = Partial<Omit<SimulatorConfig, 'sns'>> & {
  sns?: Partial<Omit<SimulatorConfig['sns'], 'delivery'>> & { delivery?: Partial<DeliveryPolicy> };
};

/** The defaults with some settings replaced (nested `sns` and `sns.delivery` merged), then validated. */
export function simulatorConfig(
  overrides: SimulatorConfigOverrides = {},
  fulfillmentUrl?: string,
): SimulatorConfig {
  const base = defaultSimulatorConfig(fulfillmentUrl);
  return parseSimulatorConfig({
    ...base,
    ...overrides,
    sns: {
      ...base.sns,
      ...overrides.sns,
      delivery: { ...base.sns.delivery, ...overrides.sns?.delivery },
    },
  });
}

/** Environment variables of `main`: port, fulfillment URL, public URL, SNS endpoint, delays. */
export function configFromEnv(env: NodeJS.ProcessEnv): {
  port: number;
  host: string;
  config: SimulatorConfig;
} {
  const port = Number(env.AWS_SIMULATOR_PORT ?? '4566');
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidSimulatorConfigError([
      `AWS_SIMULATOR_PORT ${JSON.stringify(env.AWS_SIMULATOR_PORT)} is not a port`,
    ]);
  const host = env.AWS_SIMULATOR_HOST ?? '127.0.0.1';
  const overrides: SimulatorConfigOverrides = {};
  if (env.AWS_SIMULATOR_PUBLIC_URL) overrides.publicUrl = env.AWS_SIMULATOR_PUBLIC_URL;
  if (env.AWS_SIMULATOR_UNSUBSCRIBE_DELAY_MS)
    overrides.unsubscribeDelayMs = Number(env.AWS_SIMULATOR_UNSUBSCRIBE_DELAY_MS);
  if (env.AWS_SIMULATOR_EVENTBRIDGE_URL) {
    overrides.eventBridge = {
      apiDestinations: [
        {
          url: env.AWS_SIMULATOR_EVENTBRIDGE_URL,
          headerName: env.AWS_SIMULATOR_EVENTBRIDGE_HEADER ?? 'x-marketplace-events-secret',
          headerValue: env.AWS_SIMULATOR_EVENTBRIDGE_SECRET ?? '',
        },
      ],
      snsTopicName: null,
    };
  }
  if (env.AWS_SIMULATOR_SNS_ENDPOINT)
    overrides.sns = { subscriptions: [{ topics: 'all', endpoint: env.AWS_SIMULATOR_SNS_ENDPOINT }] };
  return { port, host, config: simulatorConfig(overrides, env.AWS_SIMULATOR_FULFILLMENT_URL || undefined) };
}
