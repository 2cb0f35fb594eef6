import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261127000000_initial } from './Migration20261127000000_initial.js';
import { Migration20261127120000_credentials } from './Migration20261127120000_credentials.js';
import { Migration20261127180000_workspace_previous_method } from './Migration20261127180000_workspace_previous_method.js';
import { Migration20261128000000_usage_watermark } from './Migration20261128000000_usage_watermark.js';
import { Migration20261129000000_workspace_change_notify } from './Migration20261129000000_workspace_change_notify.js';

/** Every PostgreSQL migration, oldest first (listed, not discovered: no file globbing at run time). */
export const migrationsList: MigrationObject[] = [
  { name: 'Migration20261127000000_initial', class: Migration20261127000000_initial },
  { name: 'Migration20261127120000_credentials', class: Migration20261127120000_credentials },
  {
    name: 'Migration20261127180000_workspace_previous_method',
    class: Migration20261127180000_workspace_previous_method,
  },
  { name: 'Migration20261128000000_usage_watermark', class: Migration20261128000000_usage_watermark },
  {
    name: 'Migration20261129000000_workspace_change_notify',
    class: Migration20261129000000_workspace_change_notify,
  },
];
