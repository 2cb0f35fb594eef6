import { type CoreConfig, parseCoreConfig } from '../config.js';
import defaultCatalogFile from '../domain/pricing/default-catalog.json' with { type: 'json' };
import { PricingCatalog, type PricingCatalogFile } from '../domain/pricing/pricing-catalog.js';
import { DEFAULT_SITES, SiteCatalog } from '../domain/site/site.js';
import type { UnitOfWork } from '../ports/unit-of-work.js';
import type { CoreContext } from '../use-cases/core-context.js';
import { createUseCases } from '../use-cases/index.js';
import {
  FakeMarketplace,
  ManualClock,
  RecordingNotifier,
  RecordingPublisher,
  SequentialIds,
  TestPasswordHasher,
} from './fakes.js';
import { InMemoryDatabase } from './in-memory/in-memory-database.js';

export const TEST_PRODUCTS = [
  { partition: 'aws' as const, productCode: 'prodglobal0001' },
  { partition: 'aws-cn' as const, productCode: 'prodchina0001' },
];

/** A whole core on in-memory adapters, for tests, benchmarks and the demo. */
export function createTestCore(
  opts: {
    config?: Partial<CoreConfig>;
    catalog?: PricingCatalogFile;
    now?: string;
    /** A real adapter's unit of work in place of the in-memory database (persistence runs the flows so). */
    uow?: UnitOfWork;
  } = {},
) {
  const db = new InMemoryDatabase();
  const clock = new ManualClock(new Date(opts.now ?? '2026-11-02T10:15:00Z'));
  const marketplace = new FakeMarketplace();
  const notifier = new RecordingNotifier();
  const publisher = new RecordingPublisher();
  const ctx: CoreContext = {
    config: parseCoreConfig({ products: TEST_PRODUCTS, ...opts.config }),
    catalog: new PricingCatalog(opts.catalog ?? (defaultCatalogFile as PricingCatalogFile)),
    sites: new SiteCatalog(DEFAULT_SITES),
    uow: opts.uow ?? db,
    clock,
    ids: new SequentialIds(),
    hasher: new TestPasswordHasher(),
    resolver: marketplace,
    meteringGateway: marketplace,
    entitlements: marketplace,
    notifier,
    publisher,
  };
  return { ctx, db, clock, marketplace, notifier, publisher, useCases: createUseCases(ctx) };
}
export type TestCore = ReturnType<typeof createTestCore>;
