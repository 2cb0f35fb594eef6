// The fulfillment URL with the real AWS adapter (AWS SDK v3, ResolveCustomer over HTTP) against the local
// AWS Marketplace simulator, composed exactly as in production (real argon2 hashing, the container from
// the environment): the buyer subscribes on the simulator's product page, "Set up your account" posts
// the token here, and the 303 leads to the ticket that registers the AWS account.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContainer } from '../src/container.js';
import { ApiServer } from '../src/server/api-server.js';
import {
  freePort,
  SIM_BUYER,
  SIM_CHINA_PRODUCT,
  SIM_GLOBAL_PRODUCT,
  type SimulatorProcess,
  simulatorAvailable,
  startSimulatorProcess,
} from './support/simulator-process.js';
import { COOKIE, unique } from './support/test-api.js';

const PUBLIC_URL = 'https://billing.example.com';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describe.skipIf(!simulatorAvailable())('the fulfillment URL against the AWS Marketplace simulator', () => {
  let sim: SimulatorProcess;
  let server: ApiServer;
  let apiUrl: string;
  const logs: string[] = [];
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };

  beforeAll(async () => {
    const port = await freePort();
    sim = await startSimulatorProcess({
      AWS_SIMULATOR_FULFILLMENT_URL: `http://127.0.0.1:${port}/marketplace/{partition}/fulfillment`,
    });
    // the SDK's standard credential chain: the simulator accepts any signature
    process.env.AWS_ACCESS_KEY_ID = 'AKIDSIMULATOR';
    process.env.AWS_SECRET_ACCESS_KEY = 'simulator-secret';
    const container = await createContainer({
      env: {
        DATABASE_URL: ':memory:',
        PORT: String(port),
        PUBLIC_URL,
        COOKIE_SECURE: 'true',
        LOG_LEVEL: 'info',
        MARKETPLACE_PRODUCTS: `aws:${SIM_GLOBAL_PRODUCT},aws-cn:${SIM_CHINA_PRODUCT}`,
        AWS_MARKETPLACE_ENDPOINT: sim.url,
      },
      processMetrics: false,
      logStream: { write: (line: string) => void logs.push(line) },
    });
    server = container.get(ApiServer);
    apiUrl = await server.listen();
  }, 150_000);

  afterAll(async () => {
    await server?.close();
    await sim?.close();
    process.env.AWS_ACCESS_KEY_ID = saved.id;
    process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
    if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
    if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
  });

  const post = (partition: string, token: string) =>
    fetch(`${apiUrl}/marketplace/${partition}/fulfillment`, {
      method: 'POST',
      headers: FORM,
      body: new URLSearchParams({ 'x-amzn-marketplace-token': token }),
      redirect: 'manual',
    });
  const mint = async (productCode: string) => {
    const sub = await sim.admin<{ id: string }>('POST', '/_admin/subscriptions', {
      productCode,
      buyerAccountId: SIM_BUYER,
    });
    return (await sim.admin<{ token: string }>('POST', `/_admin/subscriptions/${sub.id}/tokens`)).token;
  };

  it('takes a buyer from the product page through "Set up your account" to a registered cloud account', async () => {
    const simForm = (path: string) =>
      fetch(`${sim.url}${path}`, {
        method: 'POST',
        headers: FORM,
        body: new URLSearchParams({ buyer: SIM_BUYER }),
      });
    expect((await simForm(`/marketplace/pp/${SIM_GLOBAL_PRODUCT}/subscribe`)).status).toBe(200);
    const setup = await (await simForm(`/marketplace/pp/${SIM_GLOBAL_PRODUCT}/setup`)).text();
    // the page AWS shows submits this form to the seller's fulfillment URL by itself
    const action = /<form id="fulfillment" method="post" action="([^"]+)"/.exec(setup)?.[1];
    const token = /name="x-amzn-marketplace-token" value="([^"]+)"/.exec(setup)?.[1] ?? '';
    expect(action).toBe(`${apiUrl}/marketplace/aws/fulfillment`);
    const res = await fetch(String(action), {
      method: 'POST',
      headers: FORM,
      body: new URLSearchParams({ 'x-amzn-marketplace-token': token }),
      redirect: 'manual',
    });
    expect(res.status).toBe(303);
    const location = String(res.headers.get('location'));
    expect(location.startsWith(`${PUBLIC_URL}/registration/`)).toBe(true);
    expect(location).not.toContain(token);
    const ticketId = location.split('/').pop() ?? '';
    const ticket = await (await fetch(`${apiUrl}/v1/registration-tickets/${ticketId}`)).json();
    expect(ticket).toMatchObject({
      status: 'open',
      partition: 'aws',
      productCode: SIM_GLOBAL_PRODUCT,
      customerAwsAccountId: SIM_BUYER,
    });

    const username = unique('sim');
    const completed = await fetch(`${apiUrl}/v1/registration-tickets/${ticketId}/new-account`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        account: {
          username,
          email: `${username}@example.com`,
          password: 'correct horse battery staple',
          company: 'Acme',
        },
        workspace: { name: 'Production', language: 'en', siteId: 'us1' },
        termsAccepted: true,
      }),
    });
    expect(completed.status).toBe(201);
    const body = (await completed.json()) as { cloudAccount: { licenseArn: string } };
    const subs = await sim.admin<Array<{ licenseArn: string; state: string }>>(
      'GET',
      `/_admin/subscriptions?buyer=${SIM_BUYER}&productCode=${SIM_GLOBAL_PRODUCT}`,
    );
    expect(subs.map((s) => s.licenseArn)).toContain(body.cloudAccount.licenseArn);
    expect(completed.headers.getSetCookie().some((c) => c.startsWith(`${COOKIE}=bck_`))).toBe(true);
    expect(logs.join('\n')).not.toContain(token);
  });

  it('resolves a China marketplace token through the China partition', async () => {
    const res = await post('aws-cn', await mint(SIM_CHINA_PRODUCT));
    expect(res.status).toBe(303);
  });

  it('shows its own page for an invalid, an expired and a throttled token', async () => {
    const invalid = await post('aws', 'not-a-real-token');
    expect(invalid.status).toBe(400);
    expect(await invalid.text()).toContain('not valid');
    const expired = await mint(SIM_GLOBAL_PRODUCT);
    await sim.admin('POST', '/_admin/tokens/expire', { token: expired });
    const old = await post('aws', expired);
    expect(old.status).toBe(410);
    expect(await old.text()).toContain('expired');
    const fresh = await mint(SIM_GLOBAL_PRODUCT);
    // every attempt of the SDK's retries is throttled
    await sim.admin('POST', '/_admin/faults', { throttleNext: 10 });
    try {
      const busy = await post('aws', fresh);
      expect(busy.status).toBe(429);
      expect(busy.headers.get('retry-after')).toBe('60');
      expect(await busy.text()).toContain('AWS Marketplace is busy');
    } finally {
      await sim.admin('DELETE', '/_admin/faults');
    }
    expect(logs.join('\n')).not.toContain(fresh);
  });
});
