// The local AWS Marketplace simulator (apps/aws-simulator), started as its own process: an app never
// imports another app, so the webhook meets it the way it meets AWS — over HTTP.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { repoRoot } from './vectors.js';

export const SIMULATOR_DIR = path.join(repoRoot(), 'apps', 'aws-simulator');
/** The simulator's default buyers (apps/aws-simulator/src/config/simulator-config.ts). */
export const SIM_BUYERS = ['210987654321', '222233334444'] as const;

export interface SimSubscription {
  id: string;
  productCode: string;
  partition: 'aws' | 'aws-cn';
  buyerAccountId: string;
  customerIdentifier: string;
  licenseArn: string;
  agreementId: string;
  state: string;
}

export interface SimDelivery {
  messageId: string;
  type: string;
  topicArn: string;
  endpoint: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastStatusCode: number | null;
}

export interface SimulatorProcess {
  url: string;
  admin<T = unknown>(method: string, route: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

export function simulatorAvailable(): boolean {
  return existsSync(path.join(SIMULATOR_DIR, 'src', 'main.ts'));
}

/** A port nothing listens on right now (for a server that the simulator must know before it starts). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts the simulator on an ephemeral port and waits for the line that names its URL. */
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
    const timer = setTimeout(
      () => fail(new Error(`the simulator did not start in ${timeoutMs} ms:\n${out}`)),
      timeoutMs,
    );
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill();
      reject(err);
    };
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
    admin: async <T>(method: string, route: string, body?: unknown): Promise<T> => {
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
