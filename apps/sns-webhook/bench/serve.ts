// One server for the benchmark, in its own process (so that autocannon does not share its event loop):
// - `webhook`: the real app from the composition root, on the DATABASE_URL it is given;
// - `raw-pg`: the same four statements the inbox runs per message (begin, find by message id, insert,
//   commit) through `pg` directly, with no verification: the floor that this machine's PostgreSQL sets;
// - `bare`: a Fastify endpoint that reads the same bodies and answers 200 without doing anything.
// Over IPC it answers `cpu` with its CPU time, so that the bench can report CPU per request.
import { randomUUID } from 'node:crypto';
import { FakeMarketplace, RecordingNotifier, RecordingPublisher } from '@billing-center/core/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import pg from 'pg';
import { createContainer } from '../src/container.js';
import { WebhookServer } from '../src/server.js';
import { StubCertificateFetcher } from '../test/support/signing.js';

const mode = process.argv[2];
process.on('message', (m) => {
  if (m === 'cpu') process.send?.(process.cpuUsage());
});

function plainApp(): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 256 * 1024 });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['text/plain', 'application/json'], { parseAs: 'string' }, (_r, body, done) =>
    done(null, body),
  );
  return app;
}

async function listen(app: FastifyInstance, close: () => Promise<void>): Promise<void> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  console.log(`listening http://127.0.0.1:${(app.server.address() as { port: number }).port}`);
  process.once('SIGTERM', () => void close().then(() => process.exit(0)));
}

if (mode === 'bare') {
  const app = plainApp();
  app.post('/sns', async () => ({ outcome: 'stored' }));
  await listen(app, () => app.close());
} else if (mode === 'raw-pg') {
  const pool = new pg.Pool({
    connectionString: process.env.DATABASE_URL,
    max: Number(process.env.DATABASE_POOL_SIZE ?? 10),
  });
  await pool.query(
    'create table if not exists bench_raw_event (id text primary key, message_id text not null unique, payload text not null)',
  );
  await pool.query('delete from bench_raw_event');
  const app = plainApp();
  app.post('/sns', async (request) => {
    const body = JSON.parse(request.body as string) as { MessageId: string; Message: string };
    const client = await pool.connect();
    try {
      await client.query('begin');
      const found = await client.query('select id from bench_raw_event where message_id = $1', [
        body.MessageId,
      ]);
      if (found.rowCount === 0) {
        await client.query('insert into bench_raw_event (id, message_id, payload) values ($1, $2, $3)', [
          randomUUID(),
          body.MessageId,
          body.Message,
        ]);
      }
      await client.query('commit');
    } finally {
      client.release();
    }
    return { outcome: 'stored' };
  });
  await listen(app, async () => {
    await app.close();
    await pool.end();
  });
} else if (mode === 'webhook') {
  const fake = new FakeMarketplace();
  const container = await createContainer(process.env, {
    notifier: new RecordingNotifier(),
    publisher: new RecordingPublisher(),
    marketplace: { resolver: fake, meteringGateway: fake, entitlements: fake },
    certificateFetcher: new StubCertificateFetcher(),
  });
  const server = container.get(WebhookServer);
  const url = await server.start(0, '127.0.0.1');
  console.log(`listening ${url}`);
  process.once('SIGTERM', () => void server.stop().then(() => process.exit(0)));
} else {
  console.error('usage: serve.ts webhook|raw-pg|bare');
  process.exit(2);
}
