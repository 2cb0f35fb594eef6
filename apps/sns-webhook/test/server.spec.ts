// The webhook listening on a real port: health and readiness, the sweep at start (a crash between storing
// and processing loses nothing), and the graceful shutdown.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { registerBuyer } from './support/customers.js';
import { marketplaceMessage, signedNotification } from './support/signing.js';
import { startTestWebhook } from './support/webhook.js';

const post = (url: string, body: string) =>
  fetch(`${url}/sns`, { method: 'POST', headers: { 'content-type': 'text/plain; charset=UTF-8' }, body });

describe('the webhook server', () => {
  it('answers /healthz, and /readyz only while the database answers', async () => {
    const w = await startTestWebhook(':memory:');
    const url = await w.server.start(0, '127.0.0.1');
    try {
      const health = await fetch(`${url}/healthz`);
      expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready', database: 'ok', backlog: 0 });

      await w.runtime.persistence.close();
      const down = await fetch(`${url}/readyz`);
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({ status: 'not-ready', database: 'unreachable' });
      // and a delivery that cannot be stored is answered 503, so that SNS delivers it again
      const buyer = { customerIdentifier: 'c-1', productCode: 'p' };
      const res = await post(
        url,
        signedNotification({ message: marketplaceMessage('subscribe-success', buyer) }),
      );
      expect(res.status).toBe(503);
    } finally {
      await w.close();
    }
  });

  it('processes at start what was stored before a crash and never processed', async () => {
    const w = await startTestWebhook(':memory:');
    try {
      const { buyer, cloudAccount } = await registerBuyer(w);
      // stored, then the process "died" before acting on it
      await w.useCases.receiveMarketplaceEvent.execute({
        source: 'sns',
        messageId: randomUUID(),
        action: 'subscribe-success',
        partition: 'aws',
        productCode: buyer.productCode,
        customerIdentifier: buyer.customerIdentifier,
        occurredAt: new Date(Date.now() - 60_000),
        payload: marketplaceMessage('subscribe-success', buyer),
      });
      expect((await w.read((tx) => tx.cloudAccounts.get(cloudAccount.id)))?.state).toBe('pending');
      await w.server.start(0, '127.0.0.1');
      await waitFor(
        async () => (await w.read((tx) => tx.cloudAccounts.get(cloudAccount.id)))?.state === 'active',
      );
      expect((await w.events()).map((e) => e.status)).toEqual(['processed']);
    } finally {
      await w.close();
    }
  });

  it('retries on the next sweep what failed to process', async () => {
    const w = await startTestWebhook(':memory:', { env: { WEBHOOK_SWEEP_INTERVAL_MS: '100' } });
    try {
      const { buyer, cloudAccount } = await registerBuyer(w);
      w.marketplace.setEntitlements(buyer, [{ dimension: 'usage_cost', value: 10, expiresAt: null }]);
      const entitlements = w.runtime.ctx.entitlements;
      let outage = true;
      w.runtime.ctx.entitlements = {
        read: async (c) => {
          if (outage) throw new Error('GetEntitlements: 503 Service Unavailable');
          return entitlements.read(c);
        },
      };
      const url = await w.server.start(0, '127.0.0.1');
      const res = await post(
        url,
        signedNotification({ message: marketplaceMessage('entitlement-updated', buyer) }),
      );
      expect(res.status).toBe(200);
      await waitFor(async () => (await w.events())[0]?.status === 'failed');
      outage = false;
      await waitFor(async () => (await w.events())[0]?.status === 'processed');
      const ca = await w.read((tx) => tx.cloudAccounts.get(cloudAccount.id));
      expect(ca?.entitlements).toEqual([{ dimension: 'usage_cost', value: 10, expiresAt: null }]);
    } finally {
      await w.close();
    }
  });

  it('stops gracefully: in-flight deliveries are answered, then nothing is accepted and the database is closed', async () => {
    const w = await startTestWebhook(':memory:');
    const { buyer } = await registerBuyer(w);
    const url = await w.server.start(0, '127.0.0.1');
    // hold the next store until the shutdown has begun
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const receive = w.useCases.receiveMarketplaceEvents;
    const original = receive.execute.bind(receive);
    let arrived = false;
    receive.execute = async (batch) => {
      arrived = true;
      await held;
      return original(batch);
    };
    const inFlight = post(
      url,
      signedNotification({ message: marketplaceMessage('subscribe-success', buyer) }),
    );
    await waitFor(async () => arrived);
    const stopping = w.server.stop();
    const ready = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) }).catch(() => null);
    expect(ready === null || ready.status === 503).toBe(true);
    release();
    const res = await inFlight;
    expect(res.status).toBe(200);
    await stopping;
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    expect((await w.events().catch((e: Error) => e)) instanceof Error).toBe(true);
  });
});

async function waitFor(done: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
