// The entry points as processes: `main` starts from the environment, answers, and exits cleanly on
// SIGTERM; a bad setting stops it at once, naming the variable; the service-key CLI issues a key that the
// API then accepts, and revokes it.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_PRODUCTS } from '@billing-center/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { runServiceKeyCommand } from '../src/cli/service-key.command.js';
import { startTestApi } from './support/test-api.js';

const APP_DIR = fileURLToPath(new URL('..', import.meta.url));
const PRODUCTS = TEST_PRODUCTS.map((p) => `${p.partition}:${p.productCode}`).join(',');

function run(script: string, args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: APP_DIR,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => ({ out, err }) };
}

async function waitFor(
  read: () => string,
  pattern: RegExp,
  child: ChildProcess,
  // a process starting under a loaded CI machine (turbo runs every package's tests at once) takes a while
  ms = 100_000,
): Promise<RegExpExecArray> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const m = pattern.exec(read());
    if (m) return m;
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no ${pattern} in: ${read()}`);
}

describe('the API process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bc-api-'));
  const keysDatabase = join(dir, 'keys.sqlite');
  // every process starts at once (each pays tsx's start-up), the tests then read what each did
  const main = run('src/main.ts', [], {
    PORT: '0',
    DATABASE_URL: join(dir, 'main.sqlite'),
    MARKETPLACE_PRODUCTS: PRODUCTS,
    LOG_LEVEL: 'warn',
  });
  const badPort = run('src/main.ts', [], {
    PORT: 'eighty',
    MARKETPLACE_PRODUCTS: PRODUCTS,
    DATABASE_URL: ':memory:',
  });
  const issue = run(
    'scripts/service-key.ts',
    ['issue', '--name', 'ingest', '--scope', 'workspaces:read', '--by', 'ops-ada'],
    { DATABASE_URL: keysDatabase, MARKETPLACE_PRODUCTS: PRODUCTS },
  );
  afterAll(async () => {
    for (const p of [main, badPort, issue]) if (p.child.exitCode === null) p.child.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts from the environment, serves, and exits 0 on SIGTERM', async () => {
    const [, url] = await waitFor(() => main.output().out, /listening at (http:\/\/\S+) /, main.child);
    const health = await fetch(`${url}/readyz`);
    expect(await health.json()).toEqual({ status: 'ready' });
    main.child.kill('SIGTERM');
    expect(await main.exited).toBe(0);
    expect(main.output().out).toContain('SIGTERM received');
  }, 120_000);

  it('refuses to start with a bad setting and names the variable', async () => {
    // (every setting's message is checked in config.spec.ts; here: that main stops before listening)
    expect(await badPort.exited).toBe(1);
    expect(badPort.output().err).toContain('Environment variable PORT must be a whole number (got "eighty")');
    expect(badPort.output().out).not.toContain('listening');
  }, 120_000);

  it('issues a service key from the command line that the API accepts, and revokes it', async () => {
    expect(await issue.exited).toBe(0);
    const key = /^(bcs_\S+)$/m.exec(issue.output().out)?.[1] ?? '';
    const id = /Issued service key (\S+) /.exec(issue.output().out)?.[1] ?? '';
    expect(key).toMatch(/^bcs_/);
    const api = await startTestApi({ env: { DATABASE_URL: keysDatabase } });
    try {
      const auth = { authorization: `Bearer ${key}` };
      expect(
        (await api.app.inject({ method: 'GET', url: '/v1/platform/workspaces', headers: auth })).statusCode,
      ).toBe(200);
      const lines: string[] = [];
      const io = { out: (l: string) => void lines.push(l), err: (l: string) => void lines.push(l) };
      expect(await runServiceKeyCommand(['list'], api.runtime.useCases, io)).toBe(0);
      expect(lines.join('\n')).toMatch(new RegExp(`${id}\\s+ingest\\s+\\[workspaces:read\\]\\s+active`));
      expect(await runServiceKeyCommand(['revoke', id, '--by', 'ops-ada'], api.runtime.useCases, io)).toBe(0);
      expect(
        (await api.app.inject({ method: 'GET', url: '/v1/platform/workspaces', headers: auth })).statusCode,
      ).toBe(401);
      expect(
        await runServiceKeyCommand(['issue', '--name', 'x', '--scope', 'admin'], api.runtime.useCases, io),
      ).toBe(1);
      expect(lines.at(-1)).toMatch(/^invalid-scopes: Unknown scope "admin"/);
      expect(await runServiceKeyCommand(['issue', '--name', 'x'], api.runtime.useCases, io)).toBe(2);
      expect(await runServiceKeyCommand(['rotate'], api.runtime.useCases, io)).toBe(2);
      expect(await runServiceKeyCommand(['revoke', 'no-such-key'], api.runtime.useCases, io)).toBe(1);
    } finally {
      await api.close();
    }
  }, 120_000);
});
