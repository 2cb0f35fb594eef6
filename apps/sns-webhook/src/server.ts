import type { FastifyInstance } from 'fastify';
import { buildWebhookApp, type WebhookAppDeps } from './app.js';
import type { WebhookConfig } from './config/webhook-config.js';
import type { EventProcessor } from './inbox/event-processor.js';
import type { Logger } from './logger.js';

export interface OutboxDispatch {
  execute(input?: { limit?: number }): Promise<{ sent: number; failed: number }>;
}

export interface WebhookServerParts {
  readonly config: WebhookConfig;
  readonly app: WebhookAppDeps;
  readonly processor: EventProcessor;
  readonly logger: Logger;
  /** Closes the database and the AWS clients (the runtime). */
  readonly closeRuntime: () => Promise<void>;
  /** Only when `OUTBOX_DISPATCH_INTERVAL_MS` is set. */
  readonly outbox: OutboxDispatch | null;
}

/**
 * The webhook process: the HTTP app, the processor's sweep and (optionally) the outbox dispatch. `start`
 * listens; `stop` is the graceful shutdown: not ready, no new connections, in-flight requests answered,
 * processing finished (or left stored for the next start), then the database closed.
 */
export class WebhookServer {
  private appPromise: Promise<FastifyInstance> | null = null;
  private outboxTimer: NodeJS.Timeout | null = null;
  private outboxRun: Promise<unknown> | null = null;
  private stopping: Promise<void> | null = null;

  constructor(private readonly parts: WebhookServerParts) {}

  get processor(): EventProcessor {
    return this.parts.processor;
  }

  /** The Fastify instance (built once), for `inject` in tests or to listen. */
  app(): Promise<FastifyInstance> {
    this.appPromise ??= buildWebhookApp(this.parts.app, { logger: this.parts.logger });
    return this.appPromise;
  }

  /** Listens (port 0: an ephemeral one), starts the sweep, and answers the base URL. */
  async start(port = this.parts.config.port, host = this.parts.config.host): Promise<string> {
    const app = await this.app();
    await app.listen({ port, host });
    const address = app.server.address();
    const actualPort = typeof address === 'object' && address ? address.port : port;
    const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
    const url = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${actualPort}`;
    this.parts.processor.start();
    this.startOutbox();
    const { sns, eventBridge } = this.parts.config;
    this.parts.logger.info(
      {
        url,
        snsPath: sns.path,
        topics: sns.topicArns,
        eventBridgePath: eventBridge.secrets.length > 0 ? eventBridge.path : null,
      },
      'sns-webhook listening',
    );
    if (sns.trustedLocalOrigins.length > 0) {
      this.parts.logger.warn(
        { origins: sns.trustedLocalOrigins },
        'SNS_TRUST_LOCAL_ORIGINS is set: certificates and SubscribeURLs from these origins are trusted. ' +
          'Development and tests only; never in production.',
      );
    }
    return url;
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    const { config, logger, processor } = this.parts;
    logger.info('sns-webhook stopping');
    this.parts.app.readiness.markStopping();
    if (this.outboxTimer) clearTimeout(this.outboxTimer);
    this.outboxTimer = null;
    if (this.appPromise) await (await this.appPromise).close();
    const { abandoned } = await processor.stop(config.shutdownTimeoutMs);
    if (abandoned > 0) {
      logger.info({ abandoned }, 'stored messages left for the next start to process');
    }
    await this.outboxRun;
    await this.parts.closeRuntime();
    logger.info('sns-webhook stopped');
  }

  private startOutbox(): void {
    const { outbox, config, logger } = this.parts;
    const interval = config.outboxDispatchIntervalMs;
    if (!outbox || interval === null || this.outboxTimer) return;
    const tick = () => {
      this.outboxRun = outbox
        .execute()
        .then(({ sent, failed }) => {
          if (sent + failed > 0) logger.info({ sent, failed }, 'outbox dispatched');
        })
        .catch((err: unknown) => logger.error({ err }, 'outbox dispatch failed (retried next time)'))
        .finally(() => {
          this.outboxRun = null;
          if (!this.stopping) this.outboxTimer = setTimeout(tick, interval);
        });
    };
    this.outboxTimer = setTimeout(tick, 0);
  }
}
