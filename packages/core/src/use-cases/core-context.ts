import type { CoreConfig } from '../config.js';
import type { PricingCatalog } from '../domain/pricing/pricing-catalog.js';
import type { SiteCatalog } from '../domain/site/site.js';
import type {
  Clock,
  DomainEventPublisher,
  EntitlementReader,
  IdGenerator,
  MarketplaceCustomerResolver,
  MeteringGateway,
  Notifier,
  PasswordHasher,
} from '../ports/services.js';
import type { UnitOfWork } from '../ports/unit-of-work.js';

export const CoreContext = Symbol('CoreContext');
/** Everything the use cases need, bound once by each app's composition root. */
export interface CoreContext {
  config: CoreConfig;
  catalog: PricingCatalog;
  sites: SiteCatalog;
  uow: UnitOfWork;
  clock: Clock;
  ids: IdGenerator;
  hasher: PasswordHasher;
  resolver: MarketplaceCustomerResolver;
  meteringGateway: MeteringGateway;
  entitlements: EntitlementReader;
  notifier: Notifier;
  publisher: DomainEventPublisher;
}

/** Request metadata every write carries into the audit trail. */
export interface RequestMeta {
  requestId?: string | null;
}
