import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@billing-center/simulator-process';
import { TestSmtpServer } from '@billing-center/smtp-test-server';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'billing-center-local-stack-'));
let stack: ChildProcess | null = null;
/** Where the stack sends its email (SMTP_URL), so that the test sees the outbox delivered. */
const smtp = new TestSmtpServer();
afterAll(async () => {
  await smtp.close();
  // a failed test still stops the launcher politely, so that it stops its children too
  if (stack && stack.exitCode === null) {
    const child = stack;
    await new Promise<void>((done) => {
      const force = setTimeout(() => {
        child.kill('SIGKILL');
        done();
      }, 15_000);
      child.once('exit', () => {
        clearTimeout(force);
        done();
      });
      child.kill('SIGTERM');
    });
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('pnpm start (the local stack)', () => {
  it('starts the simulator, the API and the webhook wired together, and stops them all on SIGTERM', async () => {
    const [simulator, api, webhook] = [await freePort(), await freePort(), await freePort()];
    await smtp.start();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/start.ts'], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: {
        ...process.env,
        LOCAL_SIMULATOR_PORT: String(simulator),
        LOCAL_API_PORT: String(api),
        LOCAL_WEBHOOK_PORT: String(webhook),
        DATABASE_URL: join(dir, 'billing-center.sqlite'),
        SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
        MAIL_FROM: 'Local Stack Billing <billing@example.com>',
        OPERATOR_EMAILS: 'operators@example.com',
        BRAND_NAME: 'Local Stack',
        BILLING_CONSOLE_URL: `http://127.0.0.1:${api}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    stack = child;
    let output = '';
    child.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (d: Buffer) => {
        output += d.toString();
        if (output.includes('local-stack: ready')) resolve();
      });
      void exited.then((code) => reject(new Error(`the stack stopped (${code}):\n${output.slice(-4000)}`)));
    });

    const sim = `http://127.0.0.1:${simulator}`;
    const apiUrl = `http://127.0.0.1:${api}`;
    expect((await fetch(`${apiUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${apiUrl}/readyz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${webhook}/healthz`)).status).toBe(200);
    // the webhook confirmed its subscription to every Marketplace topic of the simulator
    const subscriptions = (await (await fetch(`${sim}/_admin/sns/subscriptions`)).json()) as Array<{
      endpoint: string;
      confirmed: boolean;
    }>;
    const mine = subscriptions.filter((s) => s.endpoint === `http://127.0.0.1:${webhook}/sns`);
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((s) => s.confirmed)).toBe(true);

    // A buyer subscribes and clicks "Set up your account": the token reaches the API's fulfillment URL,
    // is resolved against the simulator, and the browser is sent to a new registration ticket.
    const subscription = (await (
      await fetch(`${sim}/_admin/subscriptions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ productCode: 'bcglobal0000000000000001', buyerAccountId: '210987654321' }),
      })
    ).json()) as { id: string };
    const { token } = (await (
      await fetch(`${sim}/_admin/subscriptions/${subscription.id}/tokens`, { method: 'POST' })
    ).json()) as { token: string };
    const landing = await fetch(`${apiUrl}/marketplace/aws/fulfillment`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ 'x-amzn-marketplace-token': token }).toString(),
      redirect: 'manual',
    });
    // on a failure, the stack's own log says why: every error-level line of its processes, then its last lines
    const errorLines = () =>
      output
        .split('\n')
        .filter((l) => l.includes('"level":50'))
        .join('\n');
    expect(landing.status, `${await landing.clone().text()}\n${errorLines()}\n${output.slice(-4000)}`).toBe(
      303,
    );
    const location = landing.headers.get('location') ?? '';
    expect(location).toContain('/registration/');
    expect(location).not.toContain(encodeURIComponent(token).slice(0, 20));

    // The customer completes it as a new account with a first workspace (flow 1), settled by the new cloud
    // account; the subscribe-success that reached the webhook before that is applied on completion.
    const ticketId = location.split('/registration/')[1] ?? '';
    const registered = await fetch(`${apiUrl}/v1/registration-tickets/${ticketId}/new-account`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        account: {
          username: 'local-stack',
          email: 'local-stack@example.com',
          password: 'a long enough password',
          company: 'Local Stack Ltd',
        },
        workspace: { name: 'Production', language: 'en' },
        termsAccepted: true,
      }),
    });
    expect(registered.status, `${await registered.clone().text()}\n${output.slice(-4000)}`).toBe(201);
    const result = (await registered.json()) as { workspaces: Array<{ id: string }> };
    let cookie = (registered.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    if (!cookie.includes('=')) {
      // The registration is committed even when its convenience sign-in could not start a session (the API
      // answers 201 without one and logs why); the customer then signs in as usual.
      console.warn(`registration answered without a session:\n${output.slice(-6000)}`);
      const signedIn = await fetch(`${apiUrl}/v1/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ login: 'local-stack', password: 'a long enough password' }),
      });
      expect(signedIn.status, `${await signedIn.clone().text()}\n${output.slice(-6000)}`).toBe(201);
      cookie = (signedIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    }
    const workspaceId = result.workspaces[0]?.id;
    const readWorkspace = async () =>
      (await (await fetch(`${apiUrl}/v1/workspaces/${workspaceId}`, { headers: { cookie } })).json()) as {
        locked: boolean;
        lock: { reason: string } | null;
        billingMethod: unknown;
      };
    expect(await readWorkspace()).toMatchObject({ locked: false, lock: null });

    // The buyer cancels on AWS (flow 5): SNS brings unsubscribe-pending, then unsubscribe-success, to the
    // webhook, and the workspace ends unlinked and locked — what the customer then sees through the API.
    await fetch(`${sim}/_admin/subscriptions/${subscription.id}/cancel`, { method: 'POST' });
    const until = Date.now() + 60_000;
    let seen = await readWorkspace();
    while (seen.lock?.reason !== 'cloud-subscription-cancelled' && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 250));
      seen = await readWorkspace();
    }
    expect(seen).toMatchObject({
      locked: true,
      lock: { reason: 'cloud-subscription-cancelled' },
      billingMethod: null,
    });

    // The lock reached the owner by email: the outbox was delivered (the webhook dispatches it every 5 s).
    const lockMail = () =>
      smtp.received.find(
        (m) =>
          m.envelopeTo.includes('local-stack@example.com') &&
          /"Production" is locked/.test(m.parsed.subject ?? ''),
      );
    const mailDeadline = Date.now() + 60_000;
    while (!lockMail() && Date.now() < mailDeadline) await new Promise((r) => setTimeout(r, 250));
    const mail = lockMail();
    expect(
      mail,
      `no lock email; received: ${JSON.stringify(smtp.received.map((m) => [m.envelopeTo, m.parsed.subject]))}\n${errorLines()}`,
    ).toBeDefined();
    expect(mail?.parsed.from?.text).toContain('billing@example.com');
    expect(mail?.parsed.text).toContain('Production');

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    stack = null;
  }, 240_000);
});
