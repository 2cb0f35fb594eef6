/**
 * The servers `api.bench.ts` measures, one per process:
 *   hello — a bare Fastify hello-world (the ceiling on this machine);
 *   api   — the API through its composition root on PostgreSQL (`bc_api_bench`, re-created), seeded with a
 *           customer holding 100 workspaces (the list) and `--workspaces N` activated customers whose
 *           workspaces are settled by their AWS cloud accounts (the ingestion).
 * Prints one JSON line `{"url", ...}` once it listens.
 */
import type { Clock } from '@billing-center/core';
import type { Runtime } from '@billing-center/runtime';

const role = process.argv[2];

if (role === 'hello') {
  const { default: Fastify } = await import('fastify');
  const app = Fastify({ logger: false });
  app.get('/', async () => ({ hello: 'world' }));
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  console.log(JSON.stringify({ url }));
  process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
} else if (role === 'api') {
  const { FakeMarketplace, TEST_PRODUCTS, TestPasswordHasher } = await import('@billing-center/core/testing');
  const { RuntimeToken } = await import('@billing-center/runtime');
  const { createContainer } = await import('../src/container.js');
  const { ApiServer } = await import('../src/server/api-server.js');
  const { recreatePostgresDatabase } = await import('../test/support/databases.js');
  const { profiled } = await import('./profiled-unit-of-work.js');
  const i = process.argv.indexOf('--workspaces');
  const WORKSPACES = Number(i > 0 ? process.argv[i + 1] : 200);

  const database = await recreatePostgresDatabase('bc_api_bench');
  // Seeded 13 hours in the past, so the usage of the last 12 hours falls inside the cloud accounts' bindings.
  const clock: Clock & { offsetMs: number } = {
    offsetMs: -13 * 3_600_000,
    now() {
      return new Date(Date.now() + this.offsetMs);
    },
  };
  const marketplace = new FakeMarketplace();
  const container = await createContainer({
    env: {
      DATABASE_URL: database,
      DATABASE_MIGRATE: 'true',
      PORT: '0',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_MINUTE: '0',
      // the list cache as configured (default on); LIST_CACHE_SECONDS=0 measures every request reading
      LIST_CACHE_SECONDS: process.env.LIST_CACHE_SECONDS ?? '',
      MARKETPLACE_PRODUCTS: TEST_PRODUCTS.map((p) => `${p.partition}:${p.productCode}`).join(','),
      PUBLIC_URL: 'https://billing.example.com',
    },
    parts: {
      clock,
      // seeding registers hundreds of accounts; the measured paths hash no password
      hasher: new TestPasswordHasher(),
      marketplace: { resolver: marketplace, meteringGateway: marketplace, entitlements: marketplace },
    },
  });
  const runtime = container.get<Runtime>(RuntimeToken);
  const uc = runtime.useCases;

  const owner = await uc.registerAccount.execute({
    username: 'bench-owner',
    email: 'bench-owner@example.com',
    password: 'correct horse battery staple',
    company: 'Bench',
  });
  const by = { type: 'customer' as const, accountId: owner.id };
  for (let n = 0; n < 100; n += 1) {
    await uc.createWorkspace.execute({
      ownerAccountId: owner.id,
      name: `W${n}`,
      language: 'en',
      siteId: 'us1',
      by,
    });
  }
  const { token } = await uc.issueApiToken.execute({ by, name: 'bench' });
  const { key: serviceKey } = await uc.issueServiceKey.execute({
    by: { type: 'operator', operatorId: 'bench' },
    name: 'bench-ingest',
    scopes: ['usage:write'],
  });
  const workspaceIds: string[] = [];
  for (let n = 0; n < WORKSPACES; n += 1) {
    const acct = String(300_000_000_000 + n);
    const tok = marketplace.issueToken({
      partition: 'aws',
      productCode: 'prodglobal0001',
      customerIdentifier: null,
      customerAwsAccountId: acct,
      licenseArn: `arn:aws:license-manager::${acct}:license:l-${n.toString(16).padStart(8, '0')}`,
    });
    const ticket = await uc.openRegistrationTicket.execute({ partition: 'aws', token: tok });
    const done = await uc.completeRegistrationAsNewAccount.execute({
      ticketId: ticket.id,
      account: {
        username: `bench${n}`,
        email: `bench${n}@example.com`,
        password: 'correct horse battery staple',
        company: 'B',
      },
      workspace: { name: 'Production', language: 'en', siteId: 'us1' },
      termsAccepted: true,
    });
    workspaceIds.push(done.workspaces[0]?.id as string);
  }
  clock.offsetMs = 0;
  // --profile: time every repository call of the measured requests (the use cases share this context)
  const profile = process.argv.includes('--profile') ? profiled(runtime.ctx.uow) : null;
  if (profile) runtime.ctx.uow = profile.unitOfWork;

  const server = container.get(ApiServer);
  const url = await server.listen();
  const display = new URL(database);
  console.log(
    JSON.stringify({
      url,
      token,
      serviceKey,
      workspaceIds,
      database: `PostgreSQL ${display.host}/${display.pathname.slice(1)}`,
      listCacheSeconds: runtime.config.listCache.seconds,
    }),
  );
  // --cpu-profile DIR: a V8 CPU profile of each measured run, written to DIR (open it in Chrome DevTools)
  const c = process.argv.indexOf('--cpu-profile');
  const cpu = c > 0 ? await cpuProfiler(process.argv[c + 1] ?? '.') : null;
  // the bench resets the profile before each measured run and collects it after (IPC)
  // and the server's own CPU time (user + system) in between, always
  let cpuSince = process.cpuUsage();
  process.on('message', async (m) => {
    if (m === 'profile:reset') {
      profile?.reset();
      await cpu?.start();
      cpuSince = process.cpuUsage();
    }
    if (m === 'profile:report') {
      const used = process.cpuUsage(cpuSince);
      const top = (await cpu?.stop()) ?? '';
      process.send?.({
        report: [profile?.report() ?? '', top].filter(Boolean).join('\n'),
        cpuMs: (used.user + used.system) / 1000,
      });
    }
  });
  process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
} else {
  console.error('usage: api-bench-server.ts hello|api [--workspaces N]');
  process.exit(2);
}

/** Starts and stops V8's sampling profiler; each stop writes `run-N.cpuprofile` and answers the top self times. */
async function cpuProfiler(dir: string) {
  const { Session } = await import('node:inspector/promises');
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const { join, resolve } = await import('node:path');
  mkdirSync(dir, { recursive: true });
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  let running = false;
  let n = 0;
  return {
    async start() {
      if (running) await session.post('Profiler.stop');
      await session.post('Profiler.start');
      running = true;
    },
    async stop(): Promise<string> {
      if (!running) return '';
      running = false;
      const { profile } = await session.post('Profiler.stop');
      n += 1;
      const file = resolve(join(dir, `run-${n}.cpuprofile`));
      writeFileSync(file, JSON.stringify(profile));
      const dt = profile.timeDeltas ?? [];
      const self = new Map<number, number>();
      for (const [i, id] of (profile.samples ?? []).entries())
        self.set(id, (self.get(id) ?? 0) + (dt[i] ?? 0));
      const total = [...self.values()].reduce((a, b) => a + b, 0) || 1;
      const byName = new Map<string, number>();
      for (const node of profile.nodes) {
        const f = node.callFrame;
        const where = f.url
          ? `${f.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(packages|apps)\//, '$1/')}:${f.lineNumber + 1}`
          : '';
        const key = `${f.functionName || '(anonymous)'} ${where}`;
        byName.set(key, (byName.get(key) ?? 0) + (self.get(node.id) ?? 0));
      }
      const top = [...byName].sort((a, b) => b[1] - a[1]).slice(0, 40);
      return [
        `  CPU profile ${file} — top self time:`,
        ...top.map(([k, us]) => `  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${k}`),
      ].join('\n');
    },
  };
}
