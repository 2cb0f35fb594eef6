import type { TransactionContext } from '@billing-center/core';
import type { Session } from '../session.js';
import { MikroOrmAccountRepository } from './account.repository.js';
import { MikroOrmAuditRepository } from './audit.repository.js';
import { MikroOrmBindingRepository } from './binding.repository.js';
import { MikroOrmCloudAccountRepository } from './cloud-account.repository.js';
import { MikroOrmCredentialRepository } from './credential.repository.js';
import { MikroOrmMarketplaceEventRepository } from './marketplace-event.repository.js';
import { MikroOrmMeteringRecordRepository } from './metering-record.repository.js';
import { MikroOrmOutboxRepository } from './outbox.repository.js';
import { MikroOrmRatingBookRepository } from './rating-book.repository.js';
import { MikroOrmRegistrationTicketRepository } from './registration-ticket.repository.js';
import { MikroOrmUsageRepository } from './usage.repository.js';
import { MikroOrmWorkspaceRepository } from './workspace.repository.js';

/** Every repository port over one transaction's session. */
export function buildRepositories(s: Session): TransactionContext {
  return {
    accounts: new MikroOrmAccountRepository(s),
    workspaces: new MikroOrmWorkspaceRepository(s),
    cloudAccounts: new MikroOrmCloudAccountRepository(s),
    tickets: new MikroOrmRegistrationTicketRepository(s),
    bindings: new MikroOrmBindingRepository(s),
    usage: new MikroOrmUsageRepository(s),
    metering: new MikroOrmMeteringRecordRepository(s),
    ratingBooks: new MikroOrmRatingBookRepository(s),
    marketplaceEvents: new MikroOrmMarketplaceEventRepository(s),
    audit: new MikroOrmAuditRepository(s),
    outbox: new MikroOrmOutboxRepository(s),
    credentials: new MikroOrmCredentialRepository(s),
  };
}
