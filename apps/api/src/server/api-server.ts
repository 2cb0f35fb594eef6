import { CachedWorkspaceList } from '@billing-center/core';
import { type Runtime, RuntimeToken } from '@billing-center/runtime';
import type { FastifyInstance } from 'fastify';
import { inject, injectable, optional } from 'inversify';
import { buildApiApp } from '../app.js';
import { ApiConfig } from '../config/api-config.js';
import { ApiMetrics } from '../http/metrics.js';
import type { DestinationStream } from '../http/request-log.js';

/** Optional: where log lines go (standard output when unbound). */
export const LogDestination = Symbol('LogDestination');

/** The API over one runtime: builds the Fastify app once, listens, and shuts down in order. */
@injectable()
export class ApiServer {
  private built: Promise<FastifyInstance> | null = null;
  private closing: Promise<void> | null = null;

  constructor(
    @inject(RuntimeToken) private readonly runtime: Runtime,
    @inject(ApiConfig) private readonly config: ApiConfig,
    @inject(ApiMetrics) private readonly metrics: ApiMetrics,
    @inject(LogDestination) @optional() private readonly logStream?: DestinationStream,
  ) {}

  /** The Fastify instance (for `inject` in tests, or to listen). */
  app(): Promise<FastifyInstance> {
    if (this.built) return this.built;
    const { listCache } = this.config.runtime;
    // the change feed's news goes to the app's log once there is one
    const log = (write: (app: FastifyInstance) => void) => void this.built?.then(write, () => undefined);
    const feed = this.runtime.workspaceChangeFeed({
      onEvent: (e) =>
        e.type === 'listening'
          ? log((app) => app.log.info('workspace list cache: listening for changes'))
          : log((app) =>
              app.log.warn(
                { err: e.error, retryInMs: e.retryInMs },
                'workspace list cache: change notifications lost, cache bypassed until listening again',
              ),
            ),
    });
    this.built = buildApiApp(
      {
        config: this.config,
        useCases: this.runtime.useCases,
        ctx: this.runtime.ctx,
        metrics: this.metrics,
        workspaceList: new CachedWorkspaceList<Buffer>(
          this.runtime.useCases.workspaces,
          this.runtime.ctx.clock,
          feed,
          {
            ttlMs: listCache.seconds * 1000,
            maxEntries: listCache.entries,
          },
        ),
        readiness: async () => {
          const check = await this.runtime.persistence.orm.checkConnection();
          if (!check.ok) throw check.error ?? new Error(check.reason);
        },
      },
      { logStream: this.logStream },
    );
    return this.built;
  }

  /** Listens on the configured host and port (0: an ephemeral one) and answers the base URL. */
  async listen(): Promise<string> {
    const app = await this.app();
    await app.listen({ host: this.config.host, port: this.config.port });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : this.config.port;
    const host = this.config.host.includes(':') ? `[${this.config.host}]` : this.config.host;
    return `http://${host}:${port}`;
  }

  /**
   * Graceful shutdown: stop accepting connections, let in-flight requests finish (up to the configured
   * timeout, then close what is left), then close the database pool and the AWS clients. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.built) {
        const app = await this.built;
        // keep-alive connections go idle once their request is answered: close each one then, and
        // whatever is still busy when the timeout ends
        const idle = setInterval(() => app.server.closeIdleConnections(), 50);
        const timer = setTimeout(() => app.server.closeAllConnections(), this.config.shutdownTimeoutMs);
        idle.unref();
        timer.unref();
        try {
          await app.close();
        } finally {
          clearInterval(idle);
          clearTimeout(timer);
        }
      }
      await this.runtime.close();
    })();
    return this.closing;
  }
}
