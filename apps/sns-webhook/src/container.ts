import {
  type CertificateFetcher,
  HttpsCertificateFetcher,
  SigningCertificateCache,
  SnsMessageVerifier,
} from '@billing-center/aws-marketplace';
import {
  type Clock,
  type DomainEventPublisher,
  type IdGenerator,
  type Notifier,
  type PasswordHasher,
  type UnitOfWork,
  UseCases,
} from '@billing-center/core';
import {
  createNotifications,
  type Notifications,
  readNotificationsConfig,
} from '@billing-center/notifications';
import {
  bindRuntime,
  openRuntime,
  type Runtime,
  type RuntimeConfig,
  type RuntimeParts,
  RuntimeToken,
  readRuntimeConfig,
} from '@billing-center/runtime';
import { Container } from 'inversify';
import { readWebhookConfig, type WebhookConfig } from './config/webhook-config.js';
import { EventBridgeDeliveryHandler } from './eventbridge/eventbridge-delivery.handler.js';
import { Readiness } from './http/readiness.js';
import { EventProcessor } from './inbox/event-processor.js';
import { MarketplaceInbox } from './inbox/marketplace-inbox.js';
import { createLogger, Logger } from './logger.js';
import { WebhookServer } from './server.js';
import { SnsDeliveryHandler } from './sns/sns-delivery.handler.js';
import { FetchHttpGet, HttpGet, SubscriptionConfirmer } from './sns/subscription-confirmer.js';

export const WebhookConfigToken = Symbol('WebhookConfig');
export const RuntimeConfigToken = Symbol('RuntimeConfig');
export const CertificateFetcherToken = Symbol('CertificateFetcher');

/** What tests and the benchmark may replace. Production passes none of these. */
export interface WebhookOverrides {
  readonly notifier?: Notifier;
  readonly publisher?: DomainEventPublisher;
  readonly marketplace?: RuntimeParts['marketplace'];
  readonly clock?: Clock;
  readonly ids?: IdGenerator;
  readonly hasher?: PasswordHasher;
  /** Where signing certificates come from (tests serve the vectors' certificates without any network). */
  readonly certificateFetcher?: CertificateFetcher;
  /** The SubscribeURL GET (tests record it instead of calling AWS). */
  readonly httpGet?: HttpGet;
  /** The verifier's clock, in ms (the real vectors were signed years ago). */
  readonly snsNow?: () => number;
  readonly logger?: Logger;
  /** Wraps the database's unit of work (tests inject storage faults). */
  readonly unitOfWork?: (uow: UnitOfWork) => UnitOfWork;
}

type Env = Record<string, string | undefined>;

/**
 * The composition root: validated configuration, the core over persistence (the runtime), and one instance
 * of each part of the webhook. Configuration errors surface here, at start, naming the variable.
 */
export async function createContainer(env: Env = process.env, overrides: WebhookOverrides = {}) {
  const config = readWebhookConfig(env);
  const runtimeConfig = readRuntimeConfig(env);
  const logger = overrides.logger ?? createLogger(config.logLevel);
  // Owner and operator email and the domain-event publisher (SMTP and SNS, or their development stand-ins)
  const notifications: Notifications | null =
    overrides.notifier && overrides.publisher
      ? null
      : createNotifications(readNotificationsConfig(env), {
          onDevelopmentEvent: (event) => logger.debug({ event }, 'domain event (development publisher)'),
        });
  let runtime: Runtime;
  try {
    runtime = await openRuntime(runtimeConfig, {
      notifier: overrides.notifier ?? notifications!.notifier,
      publisher: overrides.publisher ?? notifications!.publisher,
      ...(overrides.marketplace ? { marketplace: overrides.marketplace } : {}),
      ...(overrides.clock ? { clock: overrides.clock } : {}),
      ...(overrides.ids ? { ids: overrides.ids } : {}),
      ...(overrides.hasher ? { hasher: overrides.hasher } : {}),
      onMeteringEvent: (event) => logger.warn({ event }, 'metering gateway event'),
    });
  } catch (e) {
    await notifications?.close();
    throw e;
  }
  // The use cases read `ctx.uow` on every call, so a wrapper put here is the one every use case uses.
  if (overrides.unitOfWork) runtime.ctx.uow = overrides.unitOfWork(runtime.ctx.uow);

  const container = new Container();
  container.bind<WebhookConfig>(WebhookConfigToken).toConstantValue(config);
  container.bind<RuntimeConfig>(RuntimeConfigToken).toConstantValue(runtimeConfig);
  container.bind<Logger>(Logger).toConstantValue(logger);
  bindRuntime(container, runtime);

  container.bind<CertificateFetcher>(CertificateFetcherToken).toConstantValue(
    overrides.certificateFetcher ??
      new HttpsCertificateFetcher({
        allowHttp: config.sns.trustedLocalOrigins.some((o) => o.startsWith('http:')),
      }),
  );
  container
    .bind(SnsMessageVerifier)
    .toDynamicValue(
      (c) =>
        new SnsMessageVerifier({
          allowedTopicArns: config.sns.topicArns,
          certificates: new SigningCertificateCache(c.get<CertificateFetcher>(CertificateFetcherToken)),
          trustedLocalCertificateOrigins: config.sns.trustedLocalOrigins,
          ...(overrides.snsNow ? { now: overrides.snsNow } : {}),
        }),
    )
    .inSingletonScope();
  container.bind<HttpGet>(HttpGet).toConstantValue(overrides.httpGet ?? new FetchHttpGet());
  container
    .bind(SubscriptionConfirmer)
    .toDynamicValue((c) => new SubscriptionConfirmer(c.get<HttpGet>(HttpGet), config.sns.trustedLocalOrigins))
    .inSingletonScope();

  container
    .bind(EventProcessor)
    .toDynamicValue(
      (c) =>
        new EventProcessor(
          c.get<UseCases>(UseCases),
          config.processing,
          c.get<Logger>(Logger).child({ component: 'processor' }),
        ),
    )
    .inSingletonScope();
  container
    .bind(MarketplaceInbox)
    .toDynamicValue(
      (c) =>
        new MarketplaceInbox(c.get<UseCases>(UseCases), c.get(EventProcessor), {
          storeBatchMax: config.storing.batchMax,
          storeConcurrency: config.storing.concurrency,
        }),
    )
    .inSingletonScope();
  container
    .bind(SnsDeliveryHandler)
    .toDynamicValue(
      (c) =>
        new SnsDeliveryHandler(
          c.get(SnsMessageVerifier),
          c.get(SubscriptionConfirmer),
          c.get(MarketplaceInbox),
        ),
    )
    .inSingletonScope();
  container
    .bind(Readiness)
    .toDynamicValue((c) => {
      const rt = c.get<Runtime>(RuntimeToken);
      const processor = c.get(EventProcessor);
      return new Readiness({
        database: async () => {
          const check = await rt.persistence.orm.checkConnection();
          if (!check.ok) throw check.error ?? new Error(check.reason);
        },
        backlog: () => processor.backlog,
      });
    })
    .inSingletonScope();
  container
    .bind(WebhookServer)
    .toDynamicValue((c) => {
      const rt = c.get<Runtime>(RuntimeToken);
      const inbox = c.get(MarketplaceInbox);
      return new WebhookServer({
        config,
        logger: c.get<Logger>(Logger),
        processor: c.get(EventProcessor),
        closeRuntime: async () => {
          await rt.close();
          await notifications?.close();
        },
        outbox: config.outboxDispatchIntervalMs === null ? null : rt.useCases.dispatchOutbox,
        app: {
          config,
          sns: c.get(SnsDeliveryHandler),
          eventBridge:
            config.eventBridge.secrets.length > 0
              ? new EventBridgeDeliveryHandler(config.eventBridge.secrets, inbox)
              : null,
          readiness: c.get(Readiness),
        },
      });
    })
    .inSingletonScope();
  return container;
}
