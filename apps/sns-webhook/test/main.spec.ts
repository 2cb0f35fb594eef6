// `pnpm start` as a process: it starts from the environment alone (development notifications, embedded
// SQLite), answers its probes, logs JSON with request ids, and stops cleanly on SIGTERM; a bad setting
// stops it at once with a message naming the variable.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SUBSCRIPTION_TOPIC } from './support/signing.js';
import { freePort } from './support/simulator-process.js';

const APP_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(path.join(tmpdir(), 'sns-webhook-main-'));

function start(env: Record<string, string>): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: APP_DIR,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

describe('the webhook process', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('starts from the environment, answers its probes, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const p = start({
      DATABASE_URL: path.join(dir, 'webhook.sqlite'),
      MARKETPLACE_PRODUCTS: 'aws:bcglobal0000000000000001',
      SNS_TOPIC_ARNS: SUBSCRIPTION_TOPIC,
      WEBHOOK_PORT: String(port),
      WEBHOOK_HOST: '127.0.0.1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'example',
    });
    try {
      await waitFor(() => p.output().includes('sns-webhook listening'), 100_000, p.output);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`, {
        headers: { 'x-request-id': 'probe-1' },
      });
      expect(ready.status).toBe(200);
      expect(ready.headers.get('x-request-id')).toBe('probe-1');
      const refused = await fetch(`http://127.0.0.1:${port}/sns`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', 'x-request-id': 'req-42' },
        body: 'not json',
      });
      expect(refused.status).toBe(400);
      // structured logs, each line JSON, carrying the request id
      const refusal = () =>
        p
          .output()
          .split('\n')
          .find((l) => l.includes('"requestId":"req-42"') && l.includes('sns-malformed'));
      await waitFor(() => refusal() !== undefined, 10_000, p.output);
      const line = refusal();
      expect(JSON.parse(line ?? '{}')).toMatchObject({
        level: 40,
        code: 'sns-malformed',
        requestId: 'req-42',
      });
    } finally {
      p.child.kill('SIGTERM');
    }
    expect(await p.exited).toBe(0);
    expect(p.output()).toContain('sns-webhook stopped');
  }, 120_000);

  it('refuses to start with a bad setting, naming the variable', async () => {
    const p = start({ DATABASE_URL: ':memory:', SNS_TOPIC_ARNS: 'arn:aws:sns:us-east-1:287250355862:*' });
    expect(await p.exited).toBe(1);
    expect(p.output()).toContain('[invalid-configuration] Environment variable SNS_TOPIC_ARNS');
  }, 30_000);
});

async function waitFor(done: () => boolean, timeoutMs: number, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out; output so far:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
