import { ResolveCustomerCommand } from '@aws-sdk/client-marketplace-metering';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildSimulatorApp } from '../src/app.js';
import {
  BUYER,
  CHINA_PRODUCT,
  FAILING_BUYER,
  GLOBAL_PRODUCT,
  RecordingEndpoint,
  type RunningSimulator,
  startSimulator,
} from './helpers.js';

let sim: RunningSimulator;
let app: FastifyInstance;
beforeAll(async () => {
  sim = await startSimulator({ unsubscribeDelayMs: 100 });
  app = await buildSimulatorApp(sim.services);
});
afterAll(async () => {
  await app.close();
  await sim.close();
});
beforeEach(() => {
  sim.services.reset();
});

/** Polls until the condition holds (timers in a loaded CI run fire late). */
async function eventually(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const form = (fields: Record<string, string>) => ({
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  payload: new URLSearchParams(fields).toString(),
});

/** The hidden fields and action of the auto-submitting fulfillment form. */
function fulfillmentForm(html: string): { action: string; token: string } {
  const action = /<form id="fulfillment" method="post" action="([^"]+)"/.exec(html)?.[1];
  const token = /name="x-amzn-marketplace-token" value="([^"]+)"/.exec(html)?.[1];
  if (!action || !token) throw new Error(`no fulfillment form in ${html}`);
  return { action, token };
}

describe('buyer pages', () => {
  it('renders the product list and a product page with "Continue to subscribe"', async () => {
    const home = await app.inject({ method: 'GET', url: '/marketplace' });
    expect(home.statusCode).toBe(200);
    expect(home.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(home.body).toContain(`/marketplace/pp/${GLOBAL_PRODUCT}`);
    expect(home.body).toContain(`/marketplace/pp/${CHINA_PRODUCT}`);
    const product = await app.inject({
      method: 'GET',
      url: `/marketplace/pp/${GLOBAL_PRODUCT}?buyer=${BUYER}`,
    });
    expect(product.statusCode).toBe(200);
    expect(product.body).toContain('Continue to subscribe');
    expect(product.body).toContain('usage_cost');
    const procurement = await app.inject({
      method: 'GET',
      url: `/marketplace/pp/${GLOBAL_PRODUCT}/procurement?buyer=${BUYER}`,
    });
    expect(procurement.body).toContain(`action="/marketplace/pp/${GLOBAL_PRODUCT}/subscribe"`);
    expect((await app.inject({ method: 'GET', url: '/marketplace/pp/nope' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/' })).headers.location).toBe('/marketplace');
  });

  it('Subscribe → "Set up your account" → an auto-posting form whose token ResolveCustomer accepts', async () => {
    const subscribed = await app.inject({
      method: 'POST',
      url: `/marketplace/pp/${GLOBAL_PRODUCT}/subscribe`,
      ...form({ buyer: BUYER }),
    });
    expect(subscribed.statusCode).toBe(200);
    expect(subscribed.body).toContain('Set up your account');
    expect(subscribed.body).toContain(`action="/marketplace/pp/${GLOBAL_PRODUCT}/setup"`);
    const sub = sim.services.marketplace.listSubscriptions({ buyerAccountId: BUYER })[0]!;
    expect(sub.state).toBe('active');

    const setup = await app.inject({
      method: 'POST',
      url: `/marketplace/pp/${GLOBAL_PRODUCT}/setup`,
      ...form({ buyer: BUYER }),
    });
    expect(setup.statusCode).toBe(200);
    expect(setup.body).toContain('enctype="application/x-www-form-urlencoded"');
    expect(setup.body).toContain("document.getElementById('fulfillment').submit()");
    const { action, token } = fulfillmentForm(setup.body);
    expect(action).toBe(sim.services.config.products[0]!.fulfillmentUrl);
    expect(token).toMatch(/^[A-Za-z0-9+/]+=$/);
    const resolved = await sim.metering().send(new ResolveCustomerCommand({ RegistrationToken: token }));
    expect(resolved).toMatchObject({
      CustomerIdentifier: sub.customerIdentifier,
      CustomerAWSAccountId: BUYER,
      ProductCode: GLOBAL_PRODUCT,
      LicenseArn: sub.licenseArn,
    });
  });

  it('the form posts x-amzn-marketplace-token form-encoded to the fulfillment URL, as a browser would', async () => {
    const fulfillment = await new RecordingEndpoint().start();
    const custom = await startSimulator({
      products: [{ ...sim.services.config.products[0]!, fulfillmentUrl: fulfillment.url }],
    });
    try {
      const page = async (path: string, fields: Record<string, string>) =>
        (await fetch(`${custom.url}${path}`, { method: 'POST', body: new URLSearchParams(fields) })).text();
      await page(`/marketplace/pp/${GLOBAL_PRODUCT}/subscribe`, { buyer: BUYER });
      const { action, token } = fulfillmentForm(
        await page(`/marketplace/pp/${GLOBAL_PRODUCT}/setup`, { buyer: BUYER }),
      );
      // What the browser does with the auto-submitting form.
      await fetch(action, {
        method: 'POST',
        body: new URLSearchParams({ 'x-amzn-marketplace-token': token }),
      });
      await fulfillment.waitFor(1);
      const received = fulfillment.received[0]!;
      expect(received.headers['content-type']).toBe('application/x-www-form-urlencoded;charset=UTF-8');
      expect(new URLSearchParams(received.body).get('x-amzn-marketplace-token')).toBe(token);
    } finally {
      await custom.close();
      await fulfillment.stop();
    }
  });

  it('"Your Marketplace software": cancel publishes unsubscribe-pending then unsubscribe-success; resubscribe', async () => {
    await app.inject({
      method: 'POST',
      url: `/marketplace/pp/${GLOBAL_PRODUCT}/subscribe`,
      ...form({ buyer: BUYER }),
    });
    const sub = sim.services.marketplace.listSubscriptions({ buyerAccountId: BUYER })[0]!;
    const library = await app.inject({ method: 'GET', url: `/marketplace/library?buyer=${BUYER}` });
    expect(library.body).toContain('Cancel subscription');
    expect(library.body).toContain(sub.licenseArn);

    const cancelled = await app.inject({ method: 'POST', url: `/marketplace/library/${sub.id}/cancel` });
    expect(cancelled.statusCode).toBe(303);
    expect(cancelled.headers.location).toBe(`/marketplace/library?buyer=${BUYER}`);
    expect(sub.state).toBe('unsubscribe-pending');
    await eventually(() => sub.state === 'cancelled');
    const after = await app.inject({ method: 'GET', url: `/marketplace/library?buyer=${BUYER}` });
    expect(after.body).toContain('Resubscribe');
    expect(after.body).not.toContain('Cancel subscription');
    await app.inject({ method: 'POST', url: `/marketplace/library/${sub.id}/resubscribe` });
    expect(sub.state).toBe('active');
    // Resubscribing before unsubscribe-success replaces it: no unsubscribe-success follows.
    await app.inject({ method: 'POST', url: `/marketplace/library/${sub.id}/cancel` });
    await app.inject({ method: 'POST', url: `/marketplace/library/${sub.id}/resubscribe` });
    await new Promise((r) => setTimeout(r, 150));
    expect(sub.state).toBe('active');
  });

  it('a buyer whose payment fails gets subscribe-fail and no setup form', async () => {
    const res = await app.inject({
      method: 'POST',
      url: `/marketplace/pp/${GLOBAL_PRODUCT}/subscribe`,
      ...form({ buyer: FAILING_BUYER }),
    });
    expect(res.statusCode).toBe(402);
    expect(res.body).not.toContain('Set up your account');
    const setup = await app.inject({
      method: 'POST',
      url: `/marketplace/pp/${GLOBAL_PRODUCT}/setup`,
      ...form({ buyer: FAILING_BUYER }),
    });
    expect(setup.statusCode).toBe(409);
  });

  it('escapes configuration text in the HTML', async () => {
    const custom = await startSimulator({
      products: [{ ...sim.services.config.products[0]!, title: '<script>alert(1)</script>' }],
    });
    try {
      const body = await (await fetch(`${custom.url}/marketplace/pp/${GLOBAL_PRODUCT}`)).text();
      expect(body).not.toContain('<script>alert(1)</script>');
      expect(body).toContain('&#60;script&#62;');
    } finally {
      await custom.close();
    }
  });
});
