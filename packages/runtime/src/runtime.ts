import {
  type AwsMarketplaceAdapters,
  type AwsMeteringGatewayOptions,
  createAwsMarketplaceAdapters,
} from '@billing-center/aws-marketplace';
import {
  type Clock,
  type CoreContext,
  createUseCases,
  DEFAULT_SITES,
  type DomainEventPublisher,
  type EntitlementReader,
  type IdGenerator,
  type MarketplaceCustomerResolver,
  type MeteringGateway,
  type Notifier,
  type PasswordHasher,
  PricingCatalog,
  type Site,
  SiteCatalog,
  type UseCases,
  type WorkspaceChangeFeed,
} from '@billing-center/core';
import {
  createPersistence,
  type Persistence,
  type PgWorkspaceChangeFeedOptions,
} from '@billing-center/persistence';
import { Argon2PasswordHasher } from './adapters/argon2-password-hasher.js';
import { SystemClock } from './adapters/system-clock.js';
import { UuidIdGenerator } from './adapters/uuid-id-generator.js';
import { configError, type RuntimeConfig } from './environment.js';

export interface RuntimeParts {
  /** Owner and operator notifications (the app composes `@billing-center/notifications`). */
  notifier: Notifier;
  /** Where the outbox publishes domain events. */
  publisher: DomainEventPublisher;
  /** Replacements for tests: a manual clock, a cheap hasher, fake marketplace adapters. */
  clock?: Clock;
  ids?: IdGenerator;
  hasher?: PasswordHasher;
  sites?: readonly Site[];
  marketplace?: {
    resolver: MarketplaceCustomerResolver;
    meteringGateway: MeteringGateway;
    entitlements: EntitlementReader;
  };
  /** Where the metering gateway reports retries and splits (a logger). */
  onMeteringEvent?: AwsMeteringGatewayOptions['onEvent'];
}

/** The core over real persistence and the real AWS adapters: what an app's container binds. */
export interface Runtime {
  readonly config: RuntimeConfig;
  readonly ctx: CoreContext;
  readonly useCases: UseCases;
  readonly persistence: Persistence;
  /** Null when the caller supplied its own marketplace adapters. */
  readonly aws: AwsMarketplaceAdapters | null;
  /**
   * The feed of accounts whose workspaces changed (any process, at commit), for an in-process list cache:
   * opened on the first call when the database is PostgreSQL and `LIST_CACHE_SECONDS` is not 0, closed
   * with the runtime; null otherwise (SQLite has no change notifications: nothing may be cached).
   */
  workspaceChangeFeed(options?: Pick<PgWorkspaceChangeFeedOptions, 'onEvent'>): WorkspaceChangeFeed | null;
  /** Closes the AWS clients and the database, once. */
  close(): Promise<void>;
}

/** Opens the database and the AWS clients the configuration names and builds the core over them. */
export async function openRuntime(config: RuntimeConfig, parts: RuntimeParts): Promise<Runtime> {
  if (!parts.marketplace && config.core.products.length === 0) {
    // the AWS adapters would otherwise fail on their internal "partitions" setting
    throw configError(
      'MARKETPLACE_PRODUCTS',
      'must list the AWS Marketplace products this Billing Center sells (aws:<product code>, aws-cn:<product code>)',
    );
  }
  const catalog = new PricingCatalog(config.catalog);
  const persistence = await createPersistence({
    database: config.database,
    setting: 'DATABASE_URL',
    ...(config.migrate === undefined ? {} : { migrate: config.migrate }),
    ...(config.databasePoolSize === undefined ? {} : { poolSize: config.databasePoolSize }),
  });
  let aws: AwsMarketplaceAdapters | null = null;
  try {
    if (!parts.marketplace) {
      aws = createAwsMarketplaceAdapters(
        config.marketplace,
        parts.onMeteringEvent ? { onEvent: parts.onMeteringEvent } : {},
      );
    }
  } catch (e) {
    await persistence.close();
    throw e;
  }
  const marketplace = parts.marketplace ?? {
    resolver: aws!.customerResolver,
    meteringGateway: aws!.meteringGateway,
    entitlements: aws!.entitlementReader,
  };
  const ctx: CoreContext = {
    config: config.core,
    catalog,
    sites: new SiteCatalog(parts.sites ?? DEFAULT_SITES),
    uow: persistence.uow,
    clock: parts.clock ?? new SystemClock(),
    ids: parts.ids ?? new UuidIdGenerator(),
    hasher: parts.hasher ?? new Argon2PasswordHasher(),
    resolver: marketplace.resolver,
    meteringGateway: marketplace.meteringGateway,
    entitlements: marketplace.entitlements,
    notifier: parts.notifier,
    publisher: parts.publisher,
  };
  let closed: Promise<void> | null = null;
  let feed: WorkspaceChangeFeed | null | undefined;
  return {
    config,
    ctx,
    useCases: createUseCases(ctx),
    persistence,
    aws,
    workspaceChangeFeed(options = {}) {
      if (feed === undefined)
        feed = config.listCache.seconds > 0 ? persistence.openWorkspaceChangeFeed(options) : null;
      return feed;
    },
    close() {
      closed ??= (async () => {
        aws?.close();
        await persistence.close();
      })();
      return closed;
    },
  };
}
