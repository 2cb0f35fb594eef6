import { Migration } from '@mikro-orm/migrations';

/** Sessions, personal API tokens and service keys: only the SHA-256 of each secret is stored. */
export class Migration20261127120000_credentials extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "credential" ("id" varchar(64) not null, "kind" varchar(16) not null, "account_id" varchar(64) null, "name" varchar(100) null, "scopes" jsonb not null, "secret_hash" varchar(64) not null, "created_at" timestamptz not null, "expires_at" timestamptz null, "last_used_at" timestamptz null, "revoked_at" timestamptz null, "version" int not null, constraint "credential_pkey" primary key ("id"));`,
    );
    this.addSql(
      `alter table "credential" add constraint "credential_secret_hash_unique" unique ("secret_hash");`,
    );
    this.addSql(
      `create index "credential_account_idx" on "credential" ("account_id", "kind", "created_at");`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "credential" cascade;`);
  }
}
