import type { FakeBuyer } from '@billing-center/core/testing';
import {
  FakeMarketplace,
  ManualClock,
  TEST_PRODUCTS,
  TestPasswordHasher,
} from '@billing-center/core/testing';
import { type Runtime, RuntimeToken } from '@billing-center/runtime';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { readApiConfig } from '../../src/config/api-config.js';
import { createContainer } from '../../src/container.js';
import { ApiServer } from '../../src/server/api-server.js';
import { recreatePostgresDatabase } from './databases.js';

export type DatabaseKind = 'sqlite' | 'postgresql';

/** The environment every test API starts from: fake AWS products, generous limits, plain-HTTP cookies. */
export const TEST_ENV: Record<string, string> = {
  MARKETPLACE_PRODUCTS: TEST_PRODUCTS.map((p) => `${p.partition}:${p.productCode}`).join(','),
  PUBLIC_URL: 'https://billing.example.com',
  PORT: '0',
  COOKIE_SECURE: 'true',
  LOG_LEVEL: 'silent',
  RATE_LIMIT_PER_MINUTE: '0',
  SIGN_IN_LIMIT_PER_IP: '10000',
  SIGN_IN_LIMIT_PER_LOGIN: '10000',
};

export interface TestApi {
  app: FastifyInstance;
  server: ApiServer;
  runtime: Runtime;
  marketplace: FakeMarketplace;
  clock: ManualClock;
  /** Log lines, when started with `captureLogs`. */
  logs: string[];
  close(): Promise<void>;
}

const postgresReady = new Map<string, Promise<string>>();

/**
 * The API through its composition root, over SQLite in memory or a PostgreSQL database (`bc_api_test`
 * unless `databaseName` names another; re-created once per spec file), with the core's fake AWS
 * Marketplace, a manual clock and a cheap hasher. Several APIs started on one database in a file are
 * several processes sharing it.
 */
export async function startTestApi(
  o: {
    database?: DatabaseKind;
    databaseName?: string;
    env?: Record<string, string>;
    now?: string;
    captureLogs?: boolean;
  } = {},
): Promise<TestApi> {
  const logs: string[] = [];
  let databaseUrl = ':memory:';
  if (o.database === 'postgresql') {
    const name = o.databaseName ?? 'bc_api_test';
    let ready = postgresReady.get(name);
    if (!ready) {
      ready = recreatePostgresDatabase(name);
      postgresReady.set(name, ready);
    }
    databaseUrl = await ready;
  }
  const marketplace = new FakeMarketplace();
  const clock = new ManualClock(new Date(o.now ?? '2026-11-02T10:15:00Z'));
  const config = readApiConfig({
    ...TEST_ENV,
    DATABASE_URL: databaseUrl,
    DATABASE_MIGRATE: 'true',
    ...(o.captureLogs ? { LOG_LEVEL: 'info' } : {}),
    ...o.env,
  });
  const container = await createContainer({
    config,
    processMetrics: false,
    ...(o.captureLogs ? { logStream: { write: (line: string) => void logs.push(line) } } : {}),
    parts: {
      clock,
      hasher: new TestPasswordHasher(),
      marketplace: { resolver: marketplace, meteringGateway: marketplace, entitlements: marketplace },
    },
  });
  const server = container.get(ApiServer);
  const app = await server.app();
  return {
    app,
    server,
    runtime: container.get<Runtime>(RuntimeToken),
    marketplace,
    clock,
    logs,
    close: () => server.close(),
  };
}

let seq = 0;
export const unique = (prefix: string) => `${prefix}${Date.now().toString(36)}${(++seq).toString(36)}`;

/** A signed-in customer: its cookie and CSRF token, for `inject`. */
export interface Customer {
  accountId: string;
  username: string;
  password: string;
  cookie: string;
  csrfToken: string;
  /** headers of a cookie-authenticated request (with the CSRF header) */
  headers: Record<string, string>;
}

export const COOKIE = '__Host-bc_session';

export function cookieFrom(res: LightMyRequestResponse): string {
  const c = res.cookies.find((x) => x.name === COOKIE);
  if (!c) throw new Error(`no session cookie in ${res.statusCode} ${res.body}`);
  return `${COOKIE}=${c.value}`;
}

export async function signIn(app: FastifyInstance, login: string, password: string): Promise<Customer> {
  const res = await app.inject({ method: 'POST', url: '/v1/sessions', payload: { login, password } });
  if (res.statusCode !== 201) throw new Error(`sign-in failed: ${res.statusCode} ${res.body}`);
  const body = res.json();
  const cookie = cookieFrom(res);
  return {
    accountId: body.account.id,
    username: body.account.username,
    password,
    cookie,
    csrfToken: body.csrfToken,
    headers: { cookie, 'x-csrf-token': body.csrfToken },
  };
}

/** Registers an account over the API and signs it in. */
export async function newCustomer(app: FastifyInstance, name = unique('cust')): Promise<Customer> {
  const password = 'correct horse battery staple';
  const res = await app.inject({
    method: 'POST',
    url: '/v1/accounts',
    payload: { username: name, email: `${name}@example.com`, password, company: 'Acme' },
  });
  if (res.statusCode !== 201) throw new Error(`registration failed: ${res.statusCode} ${res.body}`);
  return signIn(app, name, password);
}

/** A call as `who` (its cookie and CSRF token). */
export function as(who: Customer, options: InjectOptions): InjectOptions {
  return { ...options, headers: { ...who.headers, ...(options.headers as Record<string, string>) } };
}

/** "Set up your account": the fake marketplace issues a token, the fulfillment URL opens a ticket. */
export async function openTicket(api: TestApi, buyer: FakeBuyer): Promise<string> {
  const token = api.marketplace.issueToken(buyer);
  const res = await api.app.inject({
    method: 'POST',
    url: `/marketplace/${buyer.partition}/fulfillment`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ 'x-amzn-marketplace-token': token }).toString(),
  });
  if (res.statusCode !== 303) throw new Error(`fulfillment answered ${res.statusCode}: ${res.body}`);
  const location = String(res.headers.location);
  return decodeURIComponent(location.slice(location.lastIndexOf('/') + 1));
}

/** A platform service key with the given scopes, issued the way the CLI issues it. */
export async function serviceKey(api: TestApi, scopes: string[]): Promise<string> {
  const { key } = await api.runtime.useCases.issueServiceKey.execute({
    by: { type: 'operator', operatorId: 'test' },
    name: unique('key'),
    scopes,
  });
  return key;
}

let messages = 0;
/** A lifecycle message through the inbox, as the SNS webhook delivers it: stored, then processed. */
export async function deliver(api: TestApi, b: FakeBuyer, action: string, occurredAt: Date) {
  const useCases = api.runtime.useCases;
  const r = await useCases.receiveMarketplaceEvent.execute({
    source: 'sns',
    messageId: unique(`msg-${++messages}-`),
    action,
    partition: b.partition,
    productCode: b.productCode,
    customerIdentifier: b.customerIdentifier,
    customerAwsAccountId: b.customerAwsAccountId,
    licenseArn: b.licenseArn,
    occurredAt,
    payload: JSON.stringify({ action }),
  });
  return useCases.processMarketplaceEvent.execute({ eventId: r.eventId });
}

/**
 * The documented first commercial registration, over the API: AWS posts the token, the buyer completes the
 * ticket as a new account (workspace name, language, terms) and is signed in.
 */
export async function activatedCustomer(
  api: TestApi,
  o: { buyer?: FakeBuyer; siteId?: string; partition?: 'aws' | 'aws-cn' } = {},
) {
  const b = o.buyer ?? newBuyer(o.partition ?? 'aws');
  const ticketId = await openTicket(api, b);
  const username = unique('act');
  const password = 'correct horse battery staple';
  const res = await api.app.inject({
    method: 'POST',
    url: `/v1/registration-tickets/${ticketId}/new-account`,
    payload: {
      account: { username, email: `${username}@example.com`, password, company: 'Acme' },
      workspace: { name: 'Production', language: 'en', ...(o.siteId ? { siteId: o.siteId } : {}) },
      termsAccepted: true,
    },
  });
  if (res.statusCode !== 201) throw new Error(`activation failed: ${res.statusCode} ${res.body}`);
  const body = res.json();
  const cookie = cookieFrom(res);
  const customer: Customer = {
    accountId: body.account.id,
    username: body.account.username,
    password,
    cookie,
    csrfToken: body.session.csrfToken,
    headers: { cookie, 'x-csrf-token': body.session.csrfToken },
  };
  return {
    customer,
    buyer: b,
    ticketId,
    cloudAccountId: body.cloudAccount.id as string,
    workspaceId: body.workspaces[0].id as string,
  };
}

let buyers = 0;
/** A new AWS Marketplace buyer of the test products (license ARN + AWS account id). */
export function newBuyer(partition: 'aws' | 'aws-cn' = 'aws', o: Partial<FakeBuyer> = {}): FakeBuyer {
  buyers += 1;
  const n = Date.now() % 1_000_000_000;
  const acct = String(200000000000 + n * 100 + (buyers % 100));
  return {
    partition,
    productCode: partition === 'aws' ? 'prodglobal0001' : 'prodchina0001',
    customerIdentifier: null,
    customerAwsAccountId: acct,
    licenseArn: `arn:${partition}:license-manager::${acct}:license:l-${acct}${buyers.toString(16)}`,
    ...o,
  };
}
