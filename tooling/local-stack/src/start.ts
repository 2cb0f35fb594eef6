/**
 * `pnpm start`: the whole system on the embedded default. Starts the local AWS simulator, then the REST API
 * and the SNS webhook on one SQLite file, wires them together (the simulator's "Set up your account" posts
 * to the API's fulfillment URL, its Marketplace SNS topics deliver to the webhook, its EventBridge rule to
 * the webhook's API destination), and stops everything on Ctrl-C or when one part dies.
 *
 * Ports: LOCAL_SIMULATOR_PORT (4566), LOCAL_API_PORT (3000), LOCAL_WEBHOOK_PORT (3001). DATABASE_URL is
 * passed through; unset, the file is data/billing-center.sqlite at the repository root.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const port = (name: string, fallback: number): number => {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65_535) {
    console.error(`local-stack: ${name} must be a port number (got "${raw}")`);
    process.exit(1);
  }
  return n;
};
const ports = {
  simulator: port('LOCAL_SIMULATOR_PORT', 4566),
  api: port('LOCAL_API_PORT', 3000),
  webhook: port('LOCAL_WEBHOOK_PORT', 3001),
};
const urls = {
  simulator: `http://127.0.0.1:${ports.simulator}`,
  api: `http://localhost:${ports.api}`,
  webhook: `http://127.0.0.1:${ports.webhook}`,
};
const database = process.env.DATABASE_URL?.trim() || join(root, 'data', 'billing-center.sqlite');
// A fresh secret per start: only the simulator's EventBridge rule and the webhook know it.
const eventBridgeSecret = randomBytes(24).toString('hex');

const children: Array<{ name: string; child: ChildProcess }> = [];
let stopping = false;

function run(name: string, app: string, env: Record<string, string>): ChildProcess {
  const cwd = join(root, 'apps', app);
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = `[${name}] `;
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream?.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) process.stdout.write(`${prefix}${line}\n`);
    });
  }
  child.on('exit', (code, signal) => {
    if (stopping) return;
    console.error(`local-stack: ${name} stopped (${signal ?? `exit code ${code}`}); stopping the rest`);
    void stop(1);
  });
  children.push({ name, child });
  return child;
}

async function stop(code: number): Promise<never> {
  stopping = true;
  await Promise.all(
    children.map(
      ({ child }) =>
        new Promise<void>((done) => {
          if (child.exitCode !== null || child.signalCode !== null) return done();
          const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
          child.once('exit', () => {
            clearTimeout(force);
            done();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
  process.exit(code);
}

async function waitFor(name: string, url: string, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (stopping) return new Promise(() => undefined);
    if (Date.now() > until) {
      console.error(`local-stack: ${name} did not answer ${url} within ${timeoutMs / 1000} s`);
      return stop(1);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => void stop(0));

run('simulator', 'aws-simulator', {
  AWS_SIMULATOR_PORT: String(ports.simulator),
  AWS_SIMULATOR_HOST: '127.0.0.1',
  // each product posts to its partition's fulfillment URL (the simulator fills in {partition})
  AWS_SIMULATOR_FULFILLMENT_URL: `${urls.api}/marketplace/{partition}/fulfillment`,
  AWS_SIMULATOR_EVENTBRIDGE_URL: `${urls.webhook}/eventbridge`,
  AWS_SIMULATOR_EVENTBRIDGE_SECRET: eventBridgeSecret,
});
await waitFor('the AWS simulator', `${urls.simulator}/_admin/state`);
const topics = await json<Array<{ arn: string; name: string; partition: string }>>(
  `${urls.simulator}/_admin/sns/topics`,
);
// The simulator's Marketplace topics are named aws-mp-{subscription,entitlement}-notification-<product code>.
const products = [
  ...new Set(
    topics.flatMap((t) => {
      const m = /^aws-mp-(?:subscription|entitlement)-notification-([A-Za-z0-9]+)$/.exec(t.name);
      return m ? [`${t.partition}:${m[1]}`] : [];
    }),
  ),
];
const marketplaceTopics = topics.filter((t) => t.name.startsWith('aws-mp-')).map((t) => t.arn);

const shared = {
  DATABASE_URL: database,
  MARKETPLACE_PRODUCTS: products.join(','),
  AWS_MARKETPLACE_ENDPOINT: urls.simulator,
  // the simulator accepts any signature; the SDK still wants credentials to sign with
  AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'local',
  AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
};
run('api', 'api', {
  ...shared,
  HOST: '127.0.0.1',
  PORT: String(ports.api),
  PUBLIC_URL: urls.api,
  COOKIE_SECURE: 'false',
});
await waitFor('the REST API', `${urls.api}/healthz`);
run('webhook', 'sns-webhook', {
  ...shared,
  WEBHOOK_HOST: '127.0.0.1',
  WEBHOOK_PORT: String(ports.webhook),
  SNS_TOPIC_ARNS: marketplaceTopics.join(','),
  SNS_TRUST_LOCAL_ORIGINS: urls.simulator,
  EVENTBRIDGE_SHARED_SECRET: eventBridgeSecret,
  // No worker yet: the webhook delivers the outbox (owner emails to the development mailbox or SMTP_URL,
  // domain events to the in-memory publisher or EVENTS_TOPIC_ARN).
  OUTBOX_DISPATCH_INTERVAL_MS: '5000',
});
await waitFor('the SNS webhook', `${urls.webhook}/healthz`);

// Subscribe the webhook to every Marketplace topic, as a seller does in the AWS console; the webhook
// confirms each subscription itself (SubscriptionConfirmation → SubscribeURL).
for (const topicArn of marketplaceTopics) {
  await json(`${urls.simulator}/_admin/sns/subscriptions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ topicArn, endpoint: `${urls.webhook}/sns` }),
  });
}
const until = Date.now() + 60_000;
for (;;) {
  const subs = await json<Array<{ endpoint: string; confirmed: boolean }>>(
    `${urls.simulator}/_admin/sns/subscriptions`,
  );
  const mine = subs.filter((s) => s.endpoint === `${urls.webhook}/sns`);
  if (mine.length === marketplaceTopics.length && mine.every((s) => s.confirmed)) break;
  if (Date.now() > until) {
    console.error('local-stack: the webhook did not confirm its SNS subscriptions within 60 s');
    await stop(1);
  }
  await new Promise((r) => setTimeout(r, 250));
}

console.log(`
local-stack: ready (database: ${database})
  Billing Center REST API   ${urls.api}   (OpenAPI ${urls.api}/openapi.json, docs ${urls.api}/docs)
  SNS webhook               ${urls.webhook}/sns   (EventBridge: ${urls.webhook}/eventbridge)
  AWS Marketplace simulator ${urls.simulator}/marketplace   (buyer pages: subscribe, "Set up your account")
  Products: ${products.join(', ')}
Press Ctrl-C to stop.`);
