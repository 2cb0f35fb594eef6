import { Migration } from '@mikro-orm/migrations';

/**
 * ADR 0009: a seal absorbs usage by moving its payer's watermark (meteredThrough, metered_usage_seq)
 * instead of rewriting every usage row, and keeps an account's rating states in one row. Stored data is
 * carried over exactly: rows already metered are numbered first (in arrival order), so each account's
 * watermark and each record's window name exactly the usage its seals absorbed; rows still pending come
 * after every watermark and stay pending.
 */
export class Migration20261128000000_usage_watermark extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "cloud_account" add column "metered_usage_seq" bigint not null default 0;`);
    this.addSql(
      `alter table "metering_record" add column "usage_after_hour" timestamptz null, add column "usage_after_seq" bigint not null default 0, add column "usage_through_seq" bigint not null default 0;`,
    );
    this.addSql(`create sequence "usage_record_seq";`);
    this.addSql(`alter table "usage_record" add column "seq" bigint null;`);
    this.addSql(
      `update "usage_record" u set "seq" = n."seq" from (select "id", row_number() over (order by ("status" <> 'metered'), "received_at", "id") as "seq" from "usage_record") n where u."id" = n."id";`,
    );
    this.addSql(
      `select setval('usage_record_seq', coalesce((select max("seq") from "usage_record"), 0) + 1, false);`,
    );
    // each sealed hour's window: through = the highest seq absorbed so far, after = the previous seal's
    this.addSql(
      `with per_hour as (
         select m."cloud_account_id" as ca, m."hour", coalesce(max(u."seq"), 0) as s
         from "metering_record" m left join "usage_record" u on u."metering_record_id" = m."id"
         group by m."cloud_account_id", m."hour"),
       running as (
         select ca, "hour", max(s) over (partition by ca order by "hour") as through,
                lag("hour") over (partition by ca order by "hour") as after_hour
         from per_hour),
       marks as (
         select ca, "hour", through, after_hour,
                coalesce(lag(through) over (partition by ca order by "hour"), 0) as after_seq
         from running)
       update "metering_record" m set "usage_through_seq" = k.through, "usage_after_hour" = k.after_hour,
         "usage_after_seq" = k.after_seq
       from marks k where m."cloud_account_id" = k.ca and m."hour" = k."hour";`,
    );
    this.addSql(
      `update "cloud_account" c set "metered_usage_seq" = k.s from (select "cloud_account_id" as ca, max("usage_through_seq") as s from "metering_record" group by "cloud_account_id") k where c."id" = k.ca;`,
    );
    this.addSql(`update "usage_record" set "status" = 'pending' where "status" = 'metered';`);
    this.addSql(`drop index "usage_record_pending_payer_idx";`);
    this.addSql(`drop index "usage_record_metering_record_idx";`);
    this.addSql(`alter table "usage_record" drop column "metering_record_id", drop column "metered_hour";`);
    this.addSql(
      `create index "usage_record_pending_seq_idx" on "usage_record" ("payer_cloud_account_id", "seq") where "status" = 'pending';`,
    );
    this.addSql(
      `create index "usage_record_pending_hour_idx" on "usage_record" ("payer_cloud_account_id", "hour") where "status" = 'pending';`,
    );

    this.addSql(
      `create table "rating_book" ("id" varchar(64) not null, "states" jsonb not null, "version" int not null, constraint "rating_book_pkey" primary key ("id"));`,
    );
    this.addSql(
      `insert into "rating_book" ("id", "states", "version")
       select "cloud_account_id", jsonb_agg(jsonb_build_object('workspaceId', "workspace_id", 'itemCode', "item_code",
         'carry', "carry", 'denominator', "denominator", 'peakDay', "peak_day", 'peak', "peak") order by "id"), 1
       from "rating_state" group by "cloud_account_id";`,
    );
    this.addSql(`drop table "rating_state";`);
    // Rewritten every hour by the seal (the watermark, the book): room left in each page lets PostgreSQL
    // update in place (HOT) instead of adding an entry to every index of cloud_account for each seal.
    this.addSql(`alter table "cloud_account" set (fillfactor = 80);`);
    this.addSql(`alter table "rating_book" set (fillfactor = 80);`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "cloud_account" reset (fillfactor);`);
    this.addSql(
      `create table "rating_state" ("id" varchar(255) not null, "cloud_account_id" varchar(64) not null, "workspace_id" varchar(64) not null, "item_code" varchar(64) not null, "carry" text not null, "denominator" text not null, "peak_day" varchar(10) null, "peak" double precision not null, "version" int not null, constraint "rating_state_pkey" primary key ("id"));`,
    );
    this.addSql(
      `create index "rating_state_pair_idx" on "rating_state" ("cloud_account_id", "workspace_id");`,
    );
    this.addSql(
      `insert into "rating_state" select b."id" || '|' || (e->>'workspaceId') || '|' || (e->>'itemCode'), b."id", e->>'workspaceId', e->>'itemCode', e->>'carry', e->>'denominator', e->>'peakDay', (e->>'peak')::double precision, 1 from "rating_book" b, jsonb_array_elements(b."states") e;`,
    );
    this.addSql(`drop table "rating_book";`);
    this.addSql(
      `alter table "usage_record" add column "metering_record_id" varchar(64) null, add column "metered_hour" timestamptz null;`,
    );
    this.addSql(
      // The item → dimension mapping is the catalog's, not the database's: a metered row points at the first
      // record (by id) of the hour that absorbed it; its status and metered hour are exact.
      `update "usage_record" u set "status" = 'metered', "metered_hour" = m."hour", "metering_record_id" = m."id"
       from (select distinct on ("cloud_account_id", "hour") * from "metering_record" order by "cloud_account_id", "hour", "id") m
       where u."status" = 'pending' and m."cloud_account_id" = u."payer_cloud_account_id" and u."hour" <= m."hour"
         and u."seq" <= m."usage_through_seq"
         and not (m."usage_after_hour" is not null and u."hour" <= m."usage_after_hour" and u."seq" <= m."usage_after_seq");`,
    );
    this.addSql(`drop index "usage_record_pending_seq_idx";`);
    this.addSql(`drop index "usage_record_pending_hour_idx";`);
    this.addSql(
      `create index "usage_record_pending_payer_idx" on "usage_record" ("payer_cloud_account_id", "status", "hour");`,
    );
    this.addSql(`create index "usage_record_metering_record_idx" on "usage_record" ("metering_record_id");`);
    this.addSql(`alter table "usage_record" drop column "seq";`);
    this.addSql(`drop sequence "usage_record_seq";`);
    this.addSql(
      `alter table "metering_record" drop column "usage_after_hour", drop column "usage_after_seq", drop column "usage_through_seq";`,
    );
    this.addSql(`alter table "cloud_account" drop column "metered_usage_seq";`);
  }
}
