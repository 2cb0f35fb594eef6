import type {
  MeteringRecord,
  PendingUsage,
  UsageRecord,
  UsageRepository,
  UsageWatermark,
} from '@billing-center/core';
import { CloudAccountSchema, UsageRecordSchema } from '../mapping/entity-schemas.js';
import { Session } from '../session.js';

/** Years past 9999 do not survive PostgreSQL's timestamp text format: treat them as "no bound". */
const LAST_REPRESENTABLE = Date.UTC(9999, 11, 31);
const bounded = (d: Date) => d.getTime() <= LAST_REPRESENTABLE;

/** The columns of a `PendingUsage` reading. */
const READING_COLUMNS = [
  'id',
  'payer_cloud_account_id',
  'workspace_id',
  'item_code',
  'hour',
  'quantity',
  'seq',
];

const byHourThenSeq = (a: UsageRecord, b: UsageRecord) =>
  a.hour.getTime() - b.hour.getTime() || (a.seq ?? 0) - (b.seq ?? 0);

/**
 * Usage rows are written once (and again only when a cancellation makes them not billable): a seal
 * absorbs them by moving its payer's watermark (ADR 0009). `seq` comes from the `usage_record_seq`
 * sequence on PostgreSQL and from the rowid on SQLite.
 */
export class MikroOrmUsageRepository implements UsageRepository {
  constructor(private readonly s: Session) {}
  async findByKeys(keys: readonly string[]) {
    const found = new Map<string, UsageRecord>();
    for (const u of await this.s.findIn(UsageRecordSchema, 'idempotencyKey', keys))
      found.set(u.idempotencyKey, u);
    return keys.map((k) => found.get(k)).filter((u): u is UsageRecord => u !== undefined);
  }
  /**
   * Multi-row inserts; a key already stored fails the whole call with `duplicate-key`. The payers are
   * share-locked first, so a seal of one of them (which locks it for update) waits for this commit, and one
   * that already holds it makes this wait: a row's seq is then drawn after that seal has read.
   */
  async addMany(records: readonly UsageRecord[]) {
    const payers = records
      .filter((r) => r.status === 'pending')
      .map((r) => r.payerCloudAccountId)
      .filter((p): p is string => p !== null);
    await this.s.lock(CloudAccountSchema, payers, 'share');
    return this.s.insert(UsageRecordSchema, records, {
      sequence: { property: 'seq', pgSequence: 'usage_record_seq' },
    });
  }
  listPendingForPayers(payers: readonly UsageWatermark[], upToHour: Date | null) {
    return this.pending(payers, upToHour, null);
  }
  /** Only the columns rating needs, as views outside the identity map (a seal reads thousands). */
  listPendingReadings(payers: readonly UsageWatermark[], upToHour: Date | null): Promise<PendingUsage[]> {
    return this.pending(payers, upToHour, READING_COLUMNS);
  }
  private async pending(
    payers: readonly UsageWatermark[],
    upToHour: Date | null,
    only: readonly string[] | null,
  ): Promise<UsageRecord[]> {
    if (payers.length === 0) return [];
    const upTo = upToHour && bounded(upToHour) ? upToHour : null;
    const read = (sql: string, params: unknown[]) =>
      only
        ? this.s.selectViews(UsageRecordSchema, sql, params)
        : this.s.select(UsageRecordSchema, sql, params);
    const list = (alias?: string) =>
      only
        ? only.map((c) => (alias ? `${alias}."${c}"` : `"${c}"`)).join(', ')
        : this.s.columns(UsageRecordSchema, alias);
    const out: UsageRecord[] = [];
    if (this.s.dialect === 'postgresql') {
      // Two index ranges per payer: stored after its watermark, or for an hour after its last seal.
      const cols = list('u');
      const sql = `with w(p, s, h) as (select * from unnest(?::text[], ?::bigint[], ?::timestamptz[]))
        select ${cols} from w join "usage_record" u on u."payer_cloud_account_id" = w.p and u."status" = 'pending'
          and u."seq" > w.s ${upTo ? 'and u."hour" <= ?' : ''}
        union all
        select ${cols} from w join "usage_record" u on u."payer_cloud_account_id" = w.p and u."status" = 'pending'
          and u."hour" > w.h and u."seq" <= w.s ${upTo ? 'and u."hour" <= ?' : ''}`;
      for (let i = 0; i < payers.length; i += 5_000) {
        const part = payers.slice(i, i + 5_000);
        const params: unknown[] = [
          Session.pgArray(part.map((p) => p.id)),
          Session.pgArray(part.map((p) => p.meteredUsageSeq)),
          Session.pgArray(part.map((p) => p.meteredThrough)),
        ];
        if (upTo) params.push(upTo, upTo); // one bound per branch
        out.push(...(await read(sql, params)));
      }
    } else {
      // The same two index ranges per payer, the watermarks as a VALUES list (an OR of conditions per
      // payer would make SQLite scan the table).
      const through = (p: UsageWatermark) => p.meteredThrough?.getTime() ?? -8.64e15;
      const cols = list('u');
      const bound = upTo ? 'and u."hour" <= ?' : '';
      for (let i = 0; i < payers.length; i += 300) {
        const part = payers.slice(i, i + 300);
        const values = part.map(() => '(?, ?, ?)').join(', ');
        const sql = `with w(p, s, h) as (values ${values})
          select ${cols} from w join "usage_record" u on u."payer_cloud_account_id" = w.p and u."status" = 'pending'
            and u."seq" > w.s ${bound}
          union all
          select ${cols} from w join "usage_record" u on u."payer_cloud_account_id" = w.p and u."status" = 'pending'
            and u."hour" > w.h and u."seq" <= w.s ${bound}`;
        const params: unknown[] = part.flatMap((p) => [p.id, p.meteredUsageSeq, through(p)]);
        if (upTo) params.push(upTo.getTime(), upTo.getTime());
        out.push(...(await read(sql, params)));
      }
    }
    return out.sort(byHourThenSeq);
  }
  listForWorkspace(workspaceId: string, from: Date, to: Date) {
    return this.s.find(
      UsageRecordSchema,
      { workspaceId, hour: bounded(to) ? { $gte: from, $lt: to } : { $gte: from } },
      { orderBy: { hour: 'asc', id: 'asc' } },
    );
  }
  async listForMeteringRecord(record: MeteringRecord, itemCodes: readonly string[]) {
    if (itemCodes.length === 0) return [];
    const candidates = await this.s.find(
      UsageRecordSchema,
      {
        payerCloudAccountId: record.cloudAccountId,
        status: 'pending',
        itemCode: { $in: [...itemCodes] },
        hour: { $lte: record.hour },
        seq: { $lte: record.usageThroughSeq },
      },
      { orderBy: { hour: 'asc', seq: 'asc' } },
    );
    return candidates.filter((u) => record.absorbed(u, record.dimension));
  }
  /** Stored status changes only (a cancellation's not-billable): optimistic. */
  saveMany(records: readonly UsageRecord[]) {
    return this.s.updateMany(UsageRecordSchema, records);
  }
}
