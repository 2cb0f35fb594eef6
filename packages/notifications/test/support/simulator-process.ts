// The local AWS simulator (apps/aws-simulator), started as its own process: packages never import an app,
// so the SNS adapter reaches it the way it reaches AWS — over HTTP, through an endpoint override.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SIMULATOR_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  '..',
  'apps',
  'aws-simulator',
);
/** Any key works with the simulator; it reads the access key only to rate-limit per caller. */
export const SIM_CREDENTIALS = { accessKeyId: 'AKIDSIMULATOR', secretAccessKey: 'simulator-secret' };

export interface SimulatorProcess {
  url: string;
  admin<T = unknown>(method: string, route: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

/** Starts the simulator on an ephemeral port and waits for the line that names its URL. */
export async function startSimulatorProcess(timeoutMs = 90_000): Promise<SimulatorProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: SIMULATOR_DIR,
    env: { ...process.env, AWS_SIMULATOR_PORT: '0', AWS_SIMULATOR_LOG_LEVEL: 'warn' },
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
