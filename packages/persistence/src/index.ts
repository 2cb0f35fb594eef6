export { type DatabaseTarget, DEFAULT_DATABASE, parseDatabaseSetting } from './database-setting.js';
export { toDomainError } from './driver-errors.js';
export { entitySchemas } from './mapping/entity-schemas.js';
export { createPersistence, type Persistence, type PersistenceOptions } from './persistence.js';
export { MikroOrmUnitOfWork } from './unit-of-work.js';
export {
  PgWorkspaceChangeFeed,
  type PgWorkspaceChangeFeedOptions,
  WORKSPACE_CHANGES_CHANNEL,
} from './workspace-change-feed.js';
