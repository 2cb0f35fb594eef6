// A webhook built through the real composition root (createContainer) over a real database, with the test
// doubles a test may need: the core's fake marketplace and recording notifier/publisher, a certificate
// fetcher that serves known certificates without any network, a recording SubscribeURL GET, and storage
// faults injected into the unit of work.
import type { CertificateFetcher } from '@billing-center/aws-marketplace';
import type { MarketplaceEvent, TransactionContext, UnitOfWork, UseCases } from '@billing-center/core';
import {
  FakeMarketplace,
  RecordingNotifier,
  RecordingPublisher,
  TestPasswordHasher,
} from '@billing-center/core/testing';
import { createPersistence } from '@billing-center/persistence';
import type { Runtime } from '@billing-center/runtime';
import { RuntimeToken } from '@billing-center/runtime';
import type { FastifyInstance } from 'fastify';
import type { Container } from 'inversify';
import { createContainer, type WebhookOverrides } from '../../src/container.js';
import { WebhookServer } from '../../src/server.js';
import type { HttpGet } from '../../src/sns/subscription-confirmer.js';
import {
  CHINA_PRODUCT,
  CHINA_SUBSCRIPTION_TOPIC,
  ENTITLEMENT_TOPIC,
  GLOBAL_PRODUCT,
  StubCertificateFetcher,
  SUBSCRIPTION_TOPIC,
  TEST_SIGNER_ORIGIN,
} from './signing.js';

export const EVENTBRIDGE_SECRET = 'eventbridge-test-secret-0123456789abcdef';

type Env = Record<string, string | undefined>;

/** The settings every test webhook starts from; a test adds or overrides variables. */
export function baseEnv(database: string): Env {
  return {
    DATABASE_URL: database,
    MARKETPLACE_PRODUCTS: `aws:${GLOBAL_PRODUCT},aws-cn:${CHINA_PRODUCT}`,
    SNS_TOPIC_ARNS: [SUBSCRIPTION_TOPIC, ENTITLEMENT_TOPIC, CHINA_SUBSCRIPTION_TOPIC].join(','),
    SNS_TRUST_LOCAL_ORIGINS: TEST_SIGNER_ORIGIN,
    EVENTBRIDGE_SHARED_SECRET: EVENTBRIDGE_SECRET,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    WEBHOOK_SWEEP_INTERVAL_MS: '3600000',
  };
}

// ---------------------------------------------------------------------------------------------- databases

export const POSTGRES_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/bc_webhook_test';

export interface TestDatabase {
  readonly name: 'SQLite' | 'PostgreSQL';
  /** Prepares the database once per spec file (PostgreSQL: created and migrated) and answers its URL. */
  open(tag: string): Promise<string>;
  /** Empties it between tests (SQLite `:memory:` is new per webhook anyway). */
  clear(url: string): Promise<void>;
}

export const SQLITE: TestDatabase = {
  name: 'SQLite',
  open: async () => ':memory:',
  clear: async () => undefined,
};

/**
 * `bc_webhook_test_<tag>`: one database per spec file, so spec files may run in parallel. Another prefix
 * (`WEBHOOK_TEST_DATABASE_PREFIX`) keeps two checkouts testing on one server apart.
 */
export function postgresUrlFor(tag: string): string {
  const u = new URL(POSTGRES_URL);
  u.pathname = `/${process.env.WEBHOOK_TEST_DATABASE_PREFIX || 'bc_webhook_test'}_${tag}`;
  return u.toString();
}

export const POSTGRESQL: TestDatabase = {
  name: 'PostgreSQL',
  async open(tag) {
    const url = postgresUrlFor(tag);
    const p = await createPersistence({ database: url, createDatabase: true, migrate: true });
    try {
      await deleteAllRows(p.orm.em.getConnection() as unknown as SqlConnection);
    } finally {
      await p.close();
    }
    return url;
  },
  async clear(url) {
    const p = await createPersistence({ database: url, migrate: false });
    try {
      await deleteAllRows(p.orm.em.getConnection() as unknown as SqlConnection);
    } finally {
      await p.close();
    }
  },
};

export const DATABASES: readonly TestDatabase[] = [SQLITE, POSTGRESQL];

interface SqlConnection {
  execute(sql: string): Promise<Array<Record<string, unknown>>>;
}

async function deleteAllRows(conn: SqlConnection): Promise<void> {
  const tables = await conn.execute(
    `select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' and table_name <> 'mikro_orm_migrations'`,
  );
  for (const t of tables) await conn.execute(`delete from "${String(t.table_name)}"`);
}

// ------------------------------------------------------------------------------------------- test doubles

/** Records every SubscribeURL GET and answers like SNS. */
export class RecordingHttpGet implements HttpGet {
  readonly urls: string[] = [];
  status = 200;
  async get(url: string) {
    this.urls.push(url);
    return {
      status: this.status,
      body: '<ConfirmSubscriptionResponse><ConfirmSubscriptionResult><SubscriptionArn>arn:aws:sns:us-east-1:287250355862:topic:1</SubscriptionArn></ConfirmSubscriptionResult></ConfirmSubscriptionResponse>',
    };
  }
}

/**
 * A database fault at the worst moment for the inbox: inserting new messages fails (as a lost connection
 * would), the transaction rolls back, and the use case throws. The webhook stores the deliveries that
 * arrive together in one insert: a failing insert fails all of them.
 */
export class StorageFaults {
  /** The next N inserts of marketplace messages fail. */
  failNextInserts = 0;
  /** Every insert fails while set. */
  failAllInserts = false;
  /** Only inserts holding one of these messages fail (all of them when unset). */
  only: ((event: MarketplaceEvent) => boolean) | null = null;
  /** The message ids of the messages whose insert failed (those `only` selects, when set), in order. */
  readonly failures: string[] = [];

  wrap(inner: UnitOfWork): UnitOfWork {
    return {
      overlapsTransactions: inner.overlapsTransactions,
      transaction: <T>(work: (tx: TransactionContext) => Promise<T>) =>
        inner.transaction((tx) => work({ ...tx, marketplaceEvents: this.faulty(tx.marketplaceEvents) })),
      read: <T>(work: (tx: TransactionContext) => Promise<T>) => inner.read(work),
    };
  }

  private fails(events: readonly MarketplaceEvent[]): boolean {
    const armed = this.failAllInserts || this.failNextInserts > 0;
    if (!armed || (this.only !== null && !events.some(this.only))) return false;
    if (this.failNextInserts > 0) this.failNextInserts -= 1;
    this.failures.push(...events.filter((e) => this.only?.(e) ?? true).map((e) => e.messageId));
    return true;
  }

  private faulty(repo: TransactionContext['marketplaceEvents']): TransactionContext['marketplaceEvents'] {
    return new Proxy(repo, {
      get: (target, prop, receiver) => {
        if (prop === 'add') {
          return async (event: MarketplaceEvent) => {
            if (this.fails([event])) throw new Error('Connection terminated unexpectedly');
            return target.add(event);
          };
        }
        if (prop === 'addUnlessStored') {
          return async (events: readonly MarketplaceEvent[]) => {
            // a fault on inserting: a batch of messages stored already inserts nothing, and does not fail
            const inserting: MarketplaceEvent[] = [];
            for (const e of events) if (!(await target.findByMessageId(e.messageId))) inserting.push(e);
            if (inserting.length > 0 && this.fails(inserting)) {
              throw new Error('Connection terminated unexpectedly');
            }
            return target.addUnlessStored(events);
          };
        }
        return Reflect.get(target, prop, receiver);
      },
    });
  }
}

// -------------------------------------------------------------------------------------------- the webhook

export interface TestWebhook {
  readonly container: Container;
  readonly server: WebhookServer;
  readonly app: FastifyInstance;
  readonly runtime: Runtime;
  readonly useCases: UseCases;
  readonly notifier: RecordingNotifier;
  readonly publisher: RecordingPublisher;
  readonly marketplace: FakeMarketplace;
  readonly fetcher: CertificateFetcher & { calls: string[] };
  readonly http: RecordingHttpGet;
  readonly faults: StorageFaults;
  /** Reads through a fresh transaction. */
  read<T>(fn: (tx: TransactionContext) => Promise<T>): Promise<T>;
  /** Every stored marketplace message, oldest first. */
  events(): Promise<MarketplaceEvent[]>;
  close(): Promise<void>;
}

export interface TestWebhookOptions {
  readonly env?: Env;
  readonly snsNow?: () => number;
  readonly fetcher?: CertificateFetcher & { calls: string[] };
  readonly overrides?: WebhookOverrides;
  /**
   * The real AWS side (the simulator): the runtime's AWS Marketplace adapters, the HTTPS certificate
   * fetcher and the real SubscribeURL GET, instead of the fake marketplace and the recorders.
   */
  readonly realAws?: boolean;
}

export async function startTestWebhook(database: string, o: TestWebhookOptions = {}): Promise<TestWebhook> {
  const notifier = new RecordingNotifier();
  const publisher = new RecordingPublisher();
  const marketplace = new FakeMarketplace();
  const fetcher = o.fetcher ?? new StubCertificateFetcher();
  const http = new RecordingHttpGet();
  const faults = new StorageFaults();
  const container = await createContainer(
    { ...baseEnv(database), ...o.env },
    {
      notifier,
      publisher,
      hasher: new TestPasswordHasher(),
      ...(o.realAws
        ? {}
        : {
            marketplace: { resolver: marketplace, meteringGateway: marketplace, entitlements: marketplace },
            certificateFetcher: fetcher,
            httpGet: http,
          }),
      unitOfWork: (uow) => faults.wrap(uow),
      ...(o.snsNow ? { snsNow: o.snsNow } : {}),
      ...o.overrides,
    },
  );
  const server = container.get(WebhookServer);
  const app = await server.app();
  const runtime = container.get<Runtime>(RuntimeToken);
  const read = <T>(fn: (tx: TransactionContext) => Promise<T>) => runtime.ctx.uow.transaction(fn);
  return {
    container,
    server,
    app,
    runtime,
    useCases: runtime.useCases,
    notifier,
    publisher,
    marketplace,
    fetcher,
    http,
    faults,
    read,
    events: () => allEvents(runtime),
    close: () => server.stop(),
  };
}

/** Every stored message, read with the repository the core uses (by message id via the unprocessed list). */
async function allEvents(runtime: Runtime): Promise<MarketplaceEvent[]> {
  const conn = runtime.persistence.orm.em.getConnection() as unknown as SqlConnection;
  const rows = await conn.execute('select id from marketplace_event order by received_at, id');
  return runtime.ctx.uow.transaction(async (tx) => {
    const out: MarketplaceEvent[] = [];
    for (const r of rows) {
      const e = await tx.marketplaceEvents.get(String(r.id));
      if (e) out.push(e);
    }
    return out;
  });
}

/** POSTs a body the way SNS does (text/plain, the x-amz-sns-* headers). */
export function postSns(app: FastifyInstance, body: string, contentType = 'text/plain; charset=UTF-8') {
  return app.inject({
    method: 'POST',
    url: '/sns',
    headers: { 'content-type': contentType, 'x-amz-sns-message-type': 'Notification' },
    payload: body,
  });
}

export function postEventBridge(
  app: FastifyInstance,
  body: string,
  secret: string | null = EVENTBRIDGE_SECRET,
) {
  return app.inject({
    method: 'POST',
    url: '/eventbridge',
    headers: {
      'content-type': 'application/json; charset=utf-8',
      ...(secret === null ? {} : { 'x-marketplace-events-secret': secret }),
    },
    payload: body,
  });
}
