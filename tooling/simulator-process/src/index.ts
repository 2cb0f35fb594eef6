// The local AWS simulator (apps/aws-simulator), started as its own process: packages never import an app
// and apps never import each other, so the code under test reaches it the way it reaches AWS — over HTTP,
// through an endpoint override. One copy for every suite that needs it.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const SIMULATOR_DIR = fileURLToPath(new URL('../../../apps/aws-simulator/', import.meta.url));
/** Any key works with the simulator; it reads the access key only to rate-limit per caller. */
export const SIM_CREDENTIALS = { accessKeyId: 'AKIDSIMULATOR', secretAccessKey: 'simulator-secret' };
/** The simulator's default products and buyers (apps/aws-simulator/src/config/simulator-config.ts). */
export const SIM_GLOBAL_PRODUCT = 'bcglobal0000000000000001';
export const SIM_CHINA_PRODUCT = 'bcchina00000000000000001';
export const SIM_BUYERS = ['210987654321', '222233334444'] as const;

export interface SimulatorProcess {
  url: string;
  admin<T = unknown>(method: string, route: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

export function simulatorAvailable(): boolean {
  return existsSync(`${SIMULATOR_DIR}src/main.ts`);
}

/** A port nothing listens on right now (for a server whose address another process must know first). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts the simulator on an ephemeral port (with `env` over its defaults) and waits for the line that
 * names its URL. Starting takes a while on a loaded CI machine, hence the generous default.
 */
export async function startSimulatorProcess(
  env: Record<string, string> = {},
  timeoutMs = 90_000,
): Promise<SimulatorProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: SIMULATOR_DIR,
    env: { ...process.env, AWS_SIMULATOR_PORT: '0', AWS_SIMULATOR_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill();
      reject(err);
    };
    const timer = setTimeout(
      () => fail(new Error(`the simulator did not start in ${timeoutMs} ms:\n${out}`)),
      timeoutMs,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /AWS endpoints at (https?:\/\/[^\s,]+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.once('exit', (code) => fail(new Error(`the simulator exited with ${code}:\n${out}`)));
  });
  return {
    url,
    async admin<T>(method: string, route: string, body?: unknown): Promise<T> {
      const res = await fetch(`${url}${route}`, {
        method,
        ...(body === undefined
          ? {}
          : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${text}`);
      return (text ? JSON.parse(text) : undefined) as T;
    },
    close: () => stop(child),
  };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
