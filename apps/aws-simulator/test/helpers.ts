import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MarketplaceEntitlementServiceClient } from '@aws-sdk/client-marketplace-entitlement-service';
import { MarketplaceMeteringClient } from '@aws-sdk/client-marketplace-metering';
import { SNSClient } from '@aws-sdk/client-sns';
import { type SimulatorConfigOverrides, simulatorConfig } from '../src/config/simulator-config.js';
import { createContainer } from '../src/container.js';
import { SimulatorServer } from '../src/simulator-server.js';
import type { SimulatorServices } from '../src/simulator-services.js';

export const GLOBAL_PRODUCT = 'bcglobal0000000000000001';
export const CHINA_PRODUCT = 'bcchina00000000000000001';
export const BUYER = '210987654321';
export const SECOND_BUYER = '222233334444';
export const FAILING_BUYER = '999988887777';

const credentials = { accessKeyId: 'AKIDSIMULATOR', secretAccessKey: 'simulator-secret' };

export interface RunningSimulator {
  url: string;
  server: SimulatorServer;
  services: SimulatorServices;
  metering(region?: string, maxAttempts?: number): MarketplaceMeteringClient;
  entitlements(region?: string): MarketplaceEntitlementServiceClient;
  sns(region?: string): SNSClient;
  close(): Promise<void>;
}

/** Fast delivery retries, no unsubscribe delay to speak of, a 2048-bit key. */
export const FAST: SimulatorConfigOverrides = {
  unsubscribeDelayMs: 20,
  sns: {
    delivery: { immediateRetries: 2, backoffRetries: 2, minDelayMs: 10, maxDelayMs: 20, timeoutMs: 10_000 },
  },
};

/** The simulator on 127.0.0.1 with an ephemeral port, and real SDK clients pointed at it. */
export async function startSimulator(overrides: SimulatorConfigOverrides = FAST): Promise<RunningSimulator> {
  const server = createContainer(
    simulatorConfig({
      ...FAST,
      ...overrides,
      sns: { ...FAST.sns, ...overrides.sns, delivery: { ...FAST.sns?.delivery, ...overrides.sns?.delivery } },
    }),
  ).get(SimulatorServer);
  const url = await server.listen(0);
  const clients: Array<{ destroy(): void }> = [];
  const track = <T extends { destroy(): void }>(c: T): T => {
    clients.push(c);
    return c;
  };
  return {
    url,
    server,
    services: server.services,
    metering: (region = 'us-east-1', maxAttempts = 1) =>
      track(new MarketplaceMeteringClient({ region, endpoint: url, credentials, maxAttempts })),
    entitlements: (region = 'us-east-1') =>
      track(new MarketplaceEntitlementServiceClient({ region, endpoint: url, credentials, maxAttempts: 1 })),
    sns: (region = 'us-east-1') =>
      track(new SNSClient({ region, endpoint: url, credentials, maxAttempts: 1 })),
    close: async () => {
      for (const c of clients) c.destroy();
      await server.close();
    },
  };
}

export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  body: string;
  json: Record<string, string>;
}

/** A local HTTP endpoint that records SNS deliveries and answers with the next scripted status (200 after). */
export class RecordingEndpoint {
  readonly received: ReceivedRequest[] = [];
  statuses: number[] = [];
  private server: Server | null = null;
  private waiters: Array<{ n: number; resolve: () => void }> = [];
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => {
        body += c;
      });
      req.on('end', () => {
        let json: Record<string, string> = {};
        try {
          json = JSON.parse(body) as Record<string, string>;
        } catch {
          // recorded as is
        }
        this.received.push({ headers: req.headers, body, json });
        res.statusCode = this.statuses.shift() ?? 200;
        res.end();
        this.waiters = this.waiters.filter((w) => {
          if (this.received.length >= w.n) w.resolve();
          return this.received.length < w.n;
        });
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/sns`;
    return this;
  }

  /** Waits until at least n requests have arrived. */
  waitFor(n: number, timeoutMs = 5_000): Promise<void> {
    if (this.received.length >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`expected ${n} requests, got ${this.received.length}`)),
        timeoutMs,
      );
      this.waiters.push({
        n,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  ofType(type: string): ReceivedRequest[] {
    return this.received.filter((r) => r.json.Type === type);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

/** The start of the current UTC hour of the simulator's clock, minus `hoursAgo` hours. */
export function hourAgo(services: SimulatorServices, hoursAgo = 1): Date {
  const now = services.clock.nowMs();
  return new Date(Math.floor(now / 3_600_000) * 3_600_000 - hoursAgo * 3_600_000);
}

/** Subscribes a buyer through the marketplace and answers the subscription (admin path, no browser). */
export function subscribe(services: SimulatorServices, productCode = GLOBAL_PRODUCT, buyer = BUYER) {
  return services.marketplace.subscribe(productCode, buyer);
}
