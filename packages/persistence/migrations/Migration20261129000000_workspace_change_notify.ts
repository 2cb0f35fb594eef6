import { Migration } from '@mikro-orm/migrations';

/**
 * Every committed change to a workspace row tells the API processes whose workspaces changed: the owner
 * account's id on the `billing_center_workspace_changes` channel (a TRUNCATE sends `*`: every account).
 * Their list caches forget that account (packages/persistence/src/workspace-change-feed.ts). PostgreSQL
 * delivers notifications only when the transaction commits, and once per distinct payload per transaction:
 * a cascade that locks 1,000 workspaces of one account sends one.
 */
export class Migration20261129000000_workspace_change_notify extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create function "workspace_changed_notify"() returns trigger language plpgsql as $$
begin
  if tg_op = 'TRUNCATE' then
    perform pg_notify('billing_center_workspace_changes', '*');
    return null;
  end if;
  if tg_op = 'INSERT' then
    perform pg_notify('billing_center_workspace_changes', new."owner_account_id");
    return null;
  end if;
  perform pg_notify('billing_center_workspace_changes', old."owner_account_id");
  if tg_op = 'UPDATE' then
    if new."owner_account_id" <> old."owner_account_id" then
      perform pg_notify('billing_center_workspace_changes', new."owner_account_id");
    end if;
  end if;
  return null;
end
$$;`);
    this.addSql(
      `create trigger "workspace_changed" after insert or update or delete on "workspace" for each row execute function "workspace_changed_notify"();`,
    );
    this.addSql(
      `create trigger "workspace_truncated" after truncate on "workspace" for each statement execute function "workspace_changed_notify"();`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger "workspace_truncated" on "workspace";`);
    this.addSql(`drop trigger "workspace_changed" on "workspace";`);
    this.addSql(`drop function "workspace_changed_notify"();`);
  }
}
