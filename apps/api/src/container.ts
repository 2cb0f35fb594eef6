import { bindRuntime, openRuntime, type RuntimeParts } from '@billing-center/runtime';
import { Container } from 'inversify';
import { ApiConfig, readApiConfig } from './config/api-config.js';
import { ApiMetrics } from './http/metrics.js';
import type { DestinationStream } from './http/request-log.js';
import { ApiServer, LogDestination } from './server/api-server.js';
import { OutboxOnlyNotifier, OutboxOnlyPublisher } from './server/outbox-only.js';

export interface ContainerOptions {
  /** The environment to read (default: the process's). */
  env?: Record<string, string | undefined>;
  /** An already read configuration (tests that tweak one setting). */
  config?: ApiConfig;
  /** Replacements for tests: a manual clock, a cheap password hasher, the fake marketplace. */
  parts?: Partial<RuntimeParts>;
  /** Process metrics (event loop, memory) in /metrics; tests that build many apps turn them off. */
  processMetrics?: boolean;
  /** Where log lines go instead of standard output (tests that read them). */
  logStream?: DestinationStream;
}

/**
 * The API's one composition root: validated configuration, the core over persistence and the AWS adapters
 * (`packages/runtime`), and the server. Configuration errors surface here, before anything listens.
 */
export async function createContainer(options: ContainerOptions = {}): Promise<Container> {
  const config = options.config ?? readApiConfig(options.env ?? process.env);
  const runtime = await openRuntime(config.runtime, {
    notifier: new OutboxOnlyNotifier(),
    publisher: new OutboxOnlyPublisher(),
    ...options.parts,
  });
  const container = new Container();
  bindRuntime(container, runtime);
  container.bind<ApiConfig>(ApiConfig).toConstantValue(config);
  container
    .bind<ApiMetrics>(ApiMetrics)
    .toConstantValue(new ApiMetrics({ processMetrics: options.processMetrics ?? true }));
  if (options.logStream) container.bind<DestinationStream>(LogDestination).toConstantValue(options.logStream);
  container.bind(ApiServer).toSelf().inSingletonScope();
  return container;
}
