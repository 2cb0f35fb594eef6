import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const appDir = fileURLToPath(new URL('..', import.meta.url));

it('main starts from the environment, serves, and stops on SIGTERM', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: appDir,
    env: {
      ...process.env,
      AWS_SIMULATOR_PORT: '0',
      AWS_SIMULATOR_LOG_LEVEL: 'warn',
      AWS_SIMULATOR_FULFILLMENT_URL: 'http://127.0.0.1:9/fulfil',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`no start line:\n${out}`)), 100_000);
      const read = (chunk: Buffer) => {
        out += chunk.toString();
        const m = /AWS endpoints at (http:\/\/[^\s,]+)/.exec(out);
        if (m?.[1]) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      };
      child.stdout.on('data', read);
      child.stderr.on('data', read);
      void exited.then((code) => reject(new Error(`exited with ${code}:\n${out}`)));
    });
    const state = (await (await fetch(`${url}/_admin/state`)).json()) as {
      products: Array<{ fulfillmentUrl: string }>;
    };
    expect(state.products.map((p) => p.fulfillmentUrl)).toEqual([
      'http://127.0.0.1:9/fulfil',
      'http://127.0.0.1:9/fulfil',
    ]);
  } finally {
    child.kill('SIGTERM');
  }
  expect(await exited).toBe(0);
}, 120_000);
