/**
 * pnpm bench:api — the REST API under load with autocannon, all in one run, on PostgreSQL (database
 * `bc_api_bench`, re-created; `DATABASE_URL` may name another server):
 *   1. a bare Fastify hello-world on this machine: the ceiling;
 *   2. GET /v1/workspaces (a page of 50, with a personal API token): req/s and p99, and its ratio to (1)
 *      — target ratio ≥ 0.2, p99 < 25 ms. The API's list cache is as configured (on by default; it serves
 *      the repeated page from memory); `LIST_CACHE_SECONDS=0 pnpm bench:api` measures every request reading;
 *   3. POST /v1/platform/usage in 1,000-record batches with a service key — target ≥ 20,000 records/s,
 *      batch p99 ≤ 250 ms.
 * Each server runs in a child process of its own, so autocannon (here) and the server do not share a
 * core. Options: --duration S (default 10), --connections N (default 16), --batches N (default 400),
 * --ingest-connections N (default 4), --workspaces N (cloud-settled workspaces for ingestion, default 200),
 * --profile (time every repository call and transaction below the API, per run), --cpu-profile DIR (a V8
 * CPU profile of the API server during each measured run, written to DIR, with its top self times).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};

interface Ready {
  url: string;
  token?: string;
  serviceKey?: string;
  workspaceIds?: string[];
  database?: string;
  listCacheSeconds?: number;
}

/** Starts `bench/api-bench-server.ts <role>` and waits for the JSON line that says it listens. */
interface Server {
  ready: Ready;
  stop(): Promise<void>;
  /** Clears the server's CPU time (and with --profile, its timings), or returns them. */
  profile(what: 'reset' | 'report'): Promise<{ report: string; cpuMs: number }>;
}

async function startServer(role: 'hello' | 'api', extra: string[] = []): Promise<Server> {
  const script = fileURLToPath(new URL('./api-bench-server.ts', import.meta.url));
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', script, role, ...extra], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    env: process.env,
  });
  const ready = await new Promise<Ready>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => l.startsWith('{"url"'));
      if (line) resolve(JSON.parse(line) as Ready);
    });
    child.once('exit', (code) => reject(new Error(`the ${role} server exited with ${code}:\n${out}`)));
  });
  return {
    ready,
    profile: (what) =>
      new Promise((resolve) => {
        if (what === 'reset') {
          child.send('profile:reset');
          resolve({ report: '', cpuMs: 0 });
        } else {
          child.once('message', (m) => {
            const { report = '', cpuMs = 0 } = m as { report?: string; cpuMs?: number };
            resolve({ report, cpuMs });
          });
          child.send('profile:report');
        }
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function run(options: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(options, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const DURATION = Number(arg('duration', '10'));
const CONNECTIONS = Number(arg('connections', '16'));
const BATCHES = Number(arg('batches', '400'));
const INGEST_CONNECTIONS = Number(arg('ingest-connections', '4'));
const WORKSPACES = arg('workspaces', '200');
const CPU_PROFILE = arg('cpu-profile', '');
const PROFILE = process.argv.includes('--profile') || CPU_PROFILE !== '';
const profiles: string[] = [];

function check(label: string, ok: boolean): string {
  return `${ok ? 'MET ' : 'MISS'}  ${label}`;
}

const lines: string[] = [];

// 1. the ceiling
const hello = await startServer('hello');
await run({ url: hello.ready.url, connections: CONNECTIONS, duration: 2 }); // warm-up
const bare = await run({ url: hello.ready.url, connections: CONNECTIONS, duration: DURATION });
await hello.stop();

// 2 and 3: the API on PostgreSQL
const api = await startServer('api', [
  '--workspaces',
  WORKSPACES,
  ...(process.argv.includes('--profile') ? ['--profile'] : []),
  ...(CPU_PROFILE ? ['--cpu-profile', CPU_PROFILE] : []),
]);
const { url, token, serviceKey, workspaceIds = [], database, listCacheSeconds = 0 } = api.ready;
const listUrl = `${url}/v1/workspaces?limit=50`;
const auth = { authorization: `Bearer ${token}` };
await run({ url: listUrl, headers: auth, connections: CONNECTIONS, duration: 2 });
await api.profile('reset');
const list = await run({ url: listUrl, headers: auth, connections: CONNECTIONS, duration: DURATION });
const listServer = await api.profile('report');
if (PROFILE) profiles.push(`GET /v1/workspaces, ${fmt(list.requests.total)} requests:`, listServer.report);
if (list.non2xx > 0) throw new Error(`GET /v1/workspaces answered ${list.non2xx} non-2xx responses`);

// Every batch is new usage: 1,000 records with fresh idempotency keys, built before the clock starts.
const items = ['time-series', 'log-events', 'trace-spans', 'rum-pv'];
const hourMs = 3_600_000;
const thisHour = Math.floor(Date.now() / hourMs) * hourMs;
const bodies: string[] = [];
for (let b = 0; b < BATCHES; b += 1) {
  const records = [];
  for (let i = 0; i < 1000; i += 1) {
    const n = b * 1000 + i;
    records.push({
      idempotencyKey: `bench-${b}-${i}`,
      workspaceId: workspaceIds[n % workspaceIds.length],
      itemCode: items[n % items.length],
      hour: new Date(thisHour - (Math.floor(n / workspaceIds.length) % 12) * hourMs).toISOString(),
      quantity: 1 + (n % 1000),
    });
  }
  bodies.push(JSON.stringify({ records }));
}
let next = 0;
await api.profile('reset');
const ingestStart = performance.now();
const ingest = await run({
  url: `${url}/v1/platform/usage`,
  connections: INGEST_CONNECTIONS,
  amount: BATCHES,
  timeout: 60,
  requests: [
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${serviceKey}` },
      setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length] }),
    },
  ],
});
const ingestSeconds = (performance.now() - ingestStart) / 1000;
const ingestServer = await api.profile('report');
if (PROFILE)
  profiles.push(`POST /v1/platform/usage, ${fmt(ingest.requests.total)} batches:`, ingestServer.report);
await api.stop();
if (ingest.non2xx > 0) throw new Error(`POST /v1/platform/usage answered ${ingest.non2xx} non-2xx responses`);

const ratio = list.requests.average / bare.requests.average;
const recordsPerSecond = (ingest.requests.total * 1000) / ingestSeconds;
lines.push(
  `bench:api on ${database} — ${CONNECTIONS} connections, ${DURATION} s per run, Node ${process.version}`,
  `list cache: ${listCacheSeconds > 0 ? `on (LIST_CACHE_SECONDS=${listCacheSeconds}; one client repeating one query, no concurrent writes: nearly every request is a hit)` : 'off (LIST_CACHE_SECONDS=0: every request reads)'}`,
  '',
  `bare Fastify hello-world          ${fmt(bare.requests.average)} req/s   p99 ${bare.latency.p99} ms`,
  `GET /v1/workspaces (50 per page)  ${fmt(list.requests.average)} req/s   p99 ${list.latency.p99} ms`,
  `ratio API / hello-world           ${ratio.toFixed(3)}   (server CPU ${fmt((1000 * listServer.cpuMs) / Math.max(1, list.requests.total))} µs per request)`,
  `POST /v1/platform/usage           ${fmt(ingest.requests.total)} batches of 1,000 in ${ingestSeconds.toFixed(1)} s = ${fmt(recordsPerSecond)} records/s   batch p50 ${ingest.latency.p50} ms, p99 ${ingest.latency.p99} ms (${INGEST_CONNECTIONS} connections; server CPU ${fmt(ingestServer.cpuMs / Math.max(1, ingest.requests.total))} ms per batch)`,
  '',
  check(`workspace list ratio ≥ 0.2 (${ratio.toFixed(3)})`, ratio >= 0.2),
  check(`workspace list p99 < 25 ms (${list.latency.p99} ms)`, list.latency.p99 < 25),
  check(`ingestion ≥ 20,000 records/s (${fmt(recordsPerSecond)})`, recordsPerSecond >= 20_000),
  check(`ingestion batch p99 ≤ 250 ms (${ingest.latency.p99} ms)`, ingest.latency.p99 <= 250),
);
if (PROFILE) lines.push('', 'Below the API (--profile, --cpu-profile):', ...profiles);
console.log(lines.join('\n'));
