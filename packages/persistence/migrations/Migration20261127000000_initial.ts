import { Migration } from '@mikro-orm/migrations';

/** The initial schema: every table of the core's entities with the indexes their queries use. */
export class Migration20261127000000_initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "account" ("id" varchar(64) not null, "username" varchar(64) not null, "email" varchar(254) not null, "company" varchar(200) not null, "password_hash" text not null, "any_billing_method" boolean not null, "created_at" timestamptz not null, "version" int not null, constraint "account_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "account" add constraint "account_username_unique" unique ("username");`);
    this.addSql(`alter table "account" add constraint "account_email_unique" unique ("email");`);
    this.addSql(
      `create table "audit_entry" ("id" varchar(64) not null, "at" timestamptz not null, "actor_type" varchar(16) not null, "actor_id" varchar(255) null, "action" varchar(255) not null, "entity_type" varchar(64) not null, "entity_id" varchar(255) not null, "account_id" varchar(64) null, "request_id" varchar(255) null, "details" jsonb not null, constraint "audit_entry_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "audit_entry_account_idx" on "audit_entry" ("account_id", "id");`);
    this.addSql(`create index "audit_entry_entity_idx" on "audit_entry" ("entity_type", "entity_id");`);
    this.addSql(
      `create table "binding" ("id" varchar(64) not null, "workspace_id" varchar(64) not null, "cloud_account_id" varchar(64) not null, "valid_from" timestamptz not null, "valid_to" timestamptz null, "end_reason" varchar(64) null, "created_at" timestamptz not null, "version" int not null, constraint "binding_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "binding_workspace_idx" on "binding" ("workspace_id", "valid_from");`);
    this.addSql(`create index "binding_cloud_account_idx" on "binding" ("cloud_account_id", "valid_from");`);
    this.addSql(
      `create table "cloud_account" ("id" varchar(64) not null, "owner_account_id" varchar(64) not null, "provider" varchar(32) not null, "partition" varchar(16) not null, "product_code" varchar(255) not null, "customer_identifier" varchar(255) null, "customer_aws_account_id" varchar(12) null, "license_arn" text null, "license_id" varchar(255) null, "agreement_id" varchar(255) null, "offer_id" varchar(255) null, "free_trial" boolean not null, "state" varchar(32) not null, "state_changed_at" timestamptz not null, "last_event_at" timestamptz null, "last_event_rank" int null, "cancelled_at" timestamptz null, "metering_from" timestamptz not null, "metered_through" timestamptz null, "final_flush_requested_at" timestamptz null, "entitlements" jsonb not null, "entitlements_checked_at" timestamptz null, "created_at" timestamptz not null, "version" int not null, constraint "cloud_account_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "cloud_account_owner_idx" on "cloud_account" ("owner_account_id");`);
    this.addSql(`create index "cloud_account_license_idx" on "cloud_account" ("partition", "license_id");`);
    this.addSql(
      `create index "cloud_account_customer_idx" on "cloud_account" ("partition", "customer_identifier");`,
    );
    this.addSql(
      `create index "cloud_account_agreement_idx" on "cloud_account" ("partition", "agreement_id");`,
    );
    this.addSql(
      `create index "cloud_account_aws_account_idx" on "cloud_account" ("partition", "customer_aws_account_id");`,
    );
    this.addSql(`create index "cloud_account_state_idx" on "cloud_account" ("state", "id");`);
    this.addSql(
      `create table "marketplace_event" ("id" varchar(64) not null, "source" varchar(16) not null, "message_id" varchar(255) not null, "topic_arn" text null, "raw_action" varchar(255) not null, "action" varchar(32) null, "partition" varchar(16) not null, "product_code" varchar(255) null, "customer_identifier" varchar(255) null, "customer_aws_account_id" varchar(12) null, "license_arn" text null, "agreement_id" varchar(255) null, "offer_id" varchar(255) null, "free_trial" boolean null, "occurred_at" timestamptz not null, "received_at" timestamptz not null, "payload" text not null, "status" varchar(16) not null, "outcome" text null, "cloud_account_id" varchar(64) null, "attempts" int not null, "last_error" text null, "processed_at" timestamptz null, "version" int not null, constraint "marketplace_event_pkey" primary key ("id"));`,
    );
    this.addSql(
      `create index "marketplace_event_status_idx" on "marketplace_event" ("status", "partition");`,
    );
    this.addSql(
      `create index "marketplace_event_received_idx" on "marketplace_event" ("status", "received_at");`,
    );
    this.addSql(
      `create index "marketplace_event_cloud_account_idx" on "marketplace_event" ("cloud_account_id");`,
    );
    this.addSql(
      `alter table "marketplace_event" add constraint "marketplace_event_message_id_unique" unique ("message_id");`,
    );
    this.addSql(
      `create table "metering_record" ("id" varchar(64) not null, "cloud_account_id" varchar(64) not null, "partition" varchar(16) not null, "product_code" varchar(255) not null, "customer_identifier" varchar(255) null, "customer_aws_account_id" varchar(12) null, "license_arn" text null, "dimension" varchar(255) not null, "hour" timestamptz not null, "quantity" int not null, "allocations" jsonb not null, "status" varchar(32) not null, "is_final" boolean not null, "attempts" int not null, "unanswered_sends" int not null, "last_error" text null, "aws_metering_record_id" varchar(255) null, "sealed_at" timestamptz null, "resolved_at" timestamptz null, "deadline" timestamptz not null, "lease_owner" varchar(255) null, "lease_until" timestamptz null, "next_attempt_at" timestamptz null, "window_alerted_at" timestamptz null, "version" int not null, constraint "metering_record_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "metering_record_claimable_idx" on "metering_record" ("status", "hour");`);
    this.addSql(
      `create index "metering_record_cloud_account_idx" on "metering_record" ("cloud_account_id", "id");`,
    );
    this.addSql(
      `alter table "metering_record" add constraint "metering_record_account_dimension_hour_unique" unique ("cloud_account_id", "dimension", "hour");`,
    );
    this.addSql(
      `create table "outbox_message" ("id" varchar(64) not null, "kind" varchar(32) not null, "type" varchar(255) not null, "payload" jsonb not null, "created_at" timestamptz not null, "status" varchar(16) not null, "attempts" int not null, "last_error" text null, "next_attempt_at" timestamptz not null, "sent_at" timestamptz null, constraint "outbox_message_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "outbox_message_due_idx" on "outbox_message" ("status", "next_attempt_at");`);
    this.addSql(
      `create table "rating_state" ("id" varchar(255) not null, "cloud_account_id" varchar(64) not null, "workspace_id" varchar(64) not null, "item_code" varchar(64) not null, "carry" text not null, "denominator" text not null, "peak_day" varchar(10) null, "peak" double precision not null, "version" int not null, constraint "rating_state_pkey" primary key ("id"));`,
    );
    this.addSql(
      `create index "rating_state_pair_idx" on "rating_state" ("cloud_account_id", "workspace_id");`,
    );
    this.addSql(
      `create table "registration_ticket" ("id" varchar(64) not null, "partition" varchar(16) not null, "product_code" varchar(255) not null, "customer_identifier" varchar(255) null, "customer_aws_account_id" varchar(12) null, "license_arn" text null, "offer_id" varchar(255) null, "free_trial" boolean not null, "status" varchar(16) not null, "created_at" timestamptz not null, "expires_at" timestamptz not null, "completed_at" timestamptz null, "completed_by_account_id" varchar(64) null, "cloud_account_id" varchar(64) null, "version" int not null, constraint "registration_ticket_pkey" primary key ("id"));`,
    );
    this.addSql(
      `create index "registration_ticket_expiry_idx" on "registration_ticket" ("status", "expires_at");`,
    );
    this.addSql(
      `create table "usage_record" ("id" varchar(64) not null, "idempotency_key" varchar(255) not null, "workspace_id" varchar(64) not null, "item_code" varchar(64) not null, "hour" timestamptz not null, "quantity" double precision not null, "received_at" timestamptz not null, "payer_cloud_account_id" varchar(64) null, "status" varchar(16) not null, "reason" varchar(32) null, "metering_record_id" varchar(64) null, "metered_hour" timestamptz null, "version" int not null, constraint "usage_record_pkey" primary key ("id"));`,
    );
    this.addSql(
      `create index "usage_record_pending_payer_idx" on "usage_record" ("payer_cloud_account_id", "status", "hour");`,
    );
    this.addSql(`create index "usage_record_workspace_idx" on "usage_record" ("workspace_id", "hour");`);
    this.addSql(`create index "usage_record_metering_record_idx" on "usage_record" ("metering_record_id");`);
    this.addSql(
      `alter table "usage_record" add constraint "usage_record_idempotency_key_unique" unique ("idempotency_key");`,
    );
    this.addSql(
      `create table "workspace" ("id" varchar(64) not null, "name" varchar(100) not null, "language" varchar(8) not null, "site_id" varchar(32) not null, "owner_account_id" varchar(64) not null, "billing_method" varchar(32) null, "cloud_account_id" varchar(64) null, "billing_method_effective_from" timestamptz not null, "last_billing_method_change_at" timestamptz null, "lock_reason" varchar(64) null, "locked_at" timestamptz null, "lock_grace_ends_at" timestamptz null, "fully_locked_at" timestamptz null, "lock_cloud_account_id" varchar(64) null, "dissolved_at" timestamptz null, "created_at" timestamptz not null, "version" int not null, constraint "workspace_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "workspace_owner_idx" on "workspace" ("owner_account_id", "id");`);
    this.addSql(`create index "workspace_cloud_account_idx" on "workspace" ("cloud_account_id");`);
    this.addSql(`create index "workspace_lock_cloud_account_idx" on "workspace" ("lock_cloud_account_id");`);
    this.addSql(`create index "workspace_grace_idx" on "workspace" ("lock_grace_ends_at");`);
  }

  override async down(): Promise<void> {
    for (const table of [
      'account',
      'audit_entry',
      'binding',
      'cloud_account',
      'marketplace_event',
      'metering_record',
      'outbox_message',
      'rating_state',
      'registration_ticket',
      'usage_record',
      'workspace',
    ])
      this.addSql(`drop table if exists "${table}" cascade;`);
  }
}
