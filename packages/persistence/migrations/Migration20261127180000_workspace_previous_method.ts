import { Migration } from '@mikro-orm/migrations';

/** What still pays the current hour while a billing-method change is scheduled for the next one. */
export class Migration20261127180000_workspace_previous_method extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "workspace" add column "previous_billing_method" varchar(32) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "workspace" drop column "previous_billing_method";`);
  }
}
