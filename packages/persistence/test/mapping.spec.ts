import { describe, expect, it } from 'vitest';
import {
  AccountSchema,
  AuditEntrySchema,
  BindingSchema,
  CloudAccountSchema,
  MarketplaceEventSchema,
  MeteringRecordSchema,
  OutboxMessageSchema,
  RatingBookSchema,
  RegistrationTicketSchema,
  UsageRecordSchema,
  WorkspaceSchema,
} from '../src/mapping/entity-schemas.js';
import { coreOn } from './support/flows.js';

// A field added to a domain entity without a column would be dropped silently on save. Entities as the
// core itself builds them (a registration, lifecycle, usage and metering flow on its in-memory database)
// must have every data field mapped, and nothing else.
describe('EntitySchema mappings', () => {
  it('map exactly the data fields of every entity the core stores', async () => {
    const c = coreOn();
    const { cloudAccount, buyer, workspace } = await c.activatedCustomer();
    await c.deliver(buyer, 'subscribe-success', new Date('2026-11-02T10:16:00Z'));
    await c.useCases.recordUsage.execute({
      records: [
        {
          idempotencyKey: 'k1',
          workspaceId: workspace.id,
          itemCode: 'log-events',
          hour: '2026-11-02T10:20:00Z',
          quantity: 5,
        },
      ],
      by: { type: 'platform', keyId: 'key-1' },
    });
    c.clock.set('2026-11-02T11:00:00Z');
    await c.useCases.planMetering.execute();
    expect(cloudAccount.id).toBeTruthy();
    const t = c.db.tables;
    const cases = [
      [AccountSchema, t.accounts],
      [WorkspaceSchema, t.workspaces],
      [CloudAccountSchema, t.cloudAccounts],
      [RegistrationTicketSchema, t.tickets],
      [BindingSchema, t.bindings],
      [UsageRecordSchema, t.usage],
      [MeteringRecordSchema, t.metering],
      [RatingBookSchema, t.ratingBooks],
      [MarketplaceEventSchema, t.marketplaceEvents],
      [AuditEntrySchema, t.audit],
      [OutboxMessageSchema, t.outbox],
    ] as const;
    for (const [schema, table] of cases) {
      const row = [...table.rows.values()][0];
      expect(row, schema.meta.className).toBeDefined();
      expect([schema.meta.className, ...Object.keys(schema.meta.properties).sort()]).toEqual([
        schema.meta.className,
        ...Object.keys(row as object).sort(),
      ]);
    }
  });
});
