import type { FastifyInstance } from 'fastify';
import { AwsError } from '../aws-json/aws-error.js';
import type { SimulatedEntitlement } from '../marketplace/marketplace.js';
import type { SimulatorServices } from '../simulator-services.js';

type Id = { Params: { id: string } };

/**
 * The admin API under /_admin: inspection (state, call log, metered records, SNS deliveries) and control
 * (faults, clock offset, lifecycle actions without a browser, reset). JSON in and out.
 */
export function registerAdminRoutes(app: FastifyInstance, services: SimulatorServices): void {
  const { marketplace: mp, sns, delivery, faults, calls, clock } = services;

  app.get('/_admin', async () => ({
    admin: [
      'GET /_admin/state',
      'POST /_admin/reset',
      'GET|POST|DELETE /_admin/faults',
      'GET|POST /_admin/clock',
      'GET|DELETE /_admin/calls',
      'GET /_admin/metering-records',
      'GET|POST /_admin/subscriptions',
      'POST /_admin/subscriptions/:id/(cancel|complete-cancellation|resubscribe|tokens)',
      'PUT /_admin/subscriptions/:id/entitlements',
      'POST /_admin/tokens/expire',
      'GET /_admin/sns/(topics|subscriptions|deliveries|certificate)',
      'POST /_admin/sns/subscriptions',
      'POST /_admin/sns/release-held',
      'GET /_admin/eventbridge/(events|posts)',
    ],
    buyerPages: `${services.endpoint.baseUrl}/marketplace`,
  }));

  app.get('/_admin/state', async () => ({
    baseUrl: services.endpoint.baseUrl,
    clock: { now: clock.now().toISOString(), offsetMs: clock.offsetMs },
    products: mp.products(),
    buyers: mp.buyers(),
    subscriptions: mp.listSubscriptions(),
    topics: sns.listTopics(),
    snsSubscriptions: sns.listSubscriptions(),
    faults: faults.current(),
  }));

  app.post('/_admin/reset', async () => {
    services.reset();
    return { reset: true };
  });

  app.get('/_admin/faults', async () => faults.current());
  app.post<{ Body: Record<string, unknown> }>('/_admin/faults', async (request) => {
    try {
      return faults.update(request.body ?? {});
    } catch (error) {
      if (error instanceof RangeError) throw new AwsError('InvalidParameter', error.message);
      throw error;
    }
  });
  app.delete('/_admin/faults', async () => {
    faults.reset();
    return faults.current();
  });

  app.get('/_admin/clock', async () => ({ now: clock.now().toISOString(), offsetMs: clock.offsetMs }));
  app.post<{ Body: { offsetMs?: unknown; now?: unknown } }>('/_admin/clock', async (request) => {
    const { offsetMs, now } = request.body ?? {};
    if (typeof offsetMs === 'number' && Number.isFinite(offsetMs)) clock.offsetMs = Math.round(offsetMs);
    else if (typeof now === 'string' && Number.isFinite(Date.parse(now)))
      clock.offsetMs = Date.parse(now) - Date.now();
    else throw new AwsError('InvalidParameter', 'give offsetMs (number) or now (ISO date)');
    return { now: clock.now().toISOString(), offsetMs: clock.offsetMs };
  });

  app.get<{ Querystring: { target?: string; outcome?: string; sinceSeq?: string } }>(
    '/_admin/calls',
    async (request) => {
      const { target, outcome, sinceSeq } = request.query;
      return calls.query({
        ...(target ? { target } : {}),
        ...(outcome ? { outcome } : {}),
        ...(sinceSeq ? { sinceSeq: Number(sinceSeq) } : {}),
      });
    },
  );
  app.delete('/_admin/calls', async () => {
    calls.clear();
    return { cleared: true };
  });

  app.get<{
    Querystring: { productCode?: string; customer?: string; dimension?: string; subscriptionId?: string };
  }>('/_admin/metering-records', async (request) => mp.meteredRecords(request.query));

  app.get<{ Querystring: { buyer?: string; productCode?: string } }>(
    '/_admin/subscriptions',
    async (request) =>
      mp.listSubscriptions({
        ...(request.query.buyer ? { buyerAccountId: request.query.buyer } : {}),
        ...(request.query.productCode ? { productCode: request.query.productCode } : {}),
      }),
  );
  app.post<{ Body: { productCode?: string; buyerAccountId?: string } }>(
    '/_admin/subscriptions',
    async (request, reply) => {
      const { productCode, buyerAccountId } = request.body ?? {};
      if (!productCode || !buyerAccountId)
        throw new AwsError('InvalidParameter', 'give productCode and buyerAccountId');
      return reply.code(201).send(mp.subscribe(productCode, buyerAccountId));
    },
  );
  app.post<Id>('/_admin/subscriptions/:id/cancel', async (request) => mp.cancel(request.params.id));
  app.post<Id>('/_admin/subscriptions/:id/complete-cancellation', async (request) =>
    mp.completeCancellation(request.params.id),
  );
  app.post<Id>('/_admin/subscriptions/:id/resubscribe', async (request) => mp.resubscribe(request.params.id));
  app.put<Id & { Body: unknown }>('/_admin/subscriptions/:id/entitlements', async (request) => {
    const body = request.body;
    if (!Array.isArray(body))
      throw new AwsError('InvalidParameter', 'give a list of { dimension, value, expirationDate? }');
    const entitlements: SimulatedEntitlement[] = body.map((e: Record<string, unknown>) => {
      if (typeof e?.dimension !== 'string' || typeof e.value !== 'object' || e.value === null)
        throw new AwsError('InvalidParameter', 'each entitlement needs dimension and value');
      return {
        dimension: e.dimension,
        value: e.value as SimulatedEntitlement['value'],
        expirationDate: typeof e.expirationDate === 'string' ? e.expirationDate : null,
      };
    });
    return mp.setEntitlements(request.params.id, entitlements);
  });
  app.post<Id>('/_admin/subscriptions/:id/tokens', async (request, reply) =>
    reply.code(201).send({ token: mp.issueToken(request.params.id) }),
  );
  app.post<{ Body: { token?: string } }>('/_admin/tokens/expire', async (request) => {
    if (!request.body?.token || !mp.expireToken(request.body.token))
      throw new AwsError('NotFound', 'unknown token', 404);
    return { expired: true };
  });

  app.get('/_admin/sns/topics', async () => sns.listTopics());
  app.get('/_admin/sns/subscriptions', async () => sns.listSubscriptions());
  app.post<{ Body: { topicArn?: string; endpoint?: string } }>(
    '/_admin/sns/subscriptions',
    async (request, reply) => {
      const { topicArn, endpoint } = request.body ?? {};
      if (!topicArn || !endpoint) throw new AwsError('InvalidParameter', 'give topicArn and endpoint');
      return reply
        .code(201)
        .send(sns.subscribe(topicArn, endpoint.startsWith('https:') ? 'https' : 'http', endpoint));
    },
  );
  app.get<{ Querystring: { messageId?: string; endpoint?: string; status?: string } }>(
    '/_admin/sns/deliveries',
    async (request) => delivery.deliveries(request.query),
  );
  app.post('/_admin/sns/release-held', async () => ({ released: delivery.releaseHeld() }));
  app.get('/_admin/eventbridge/events', async () => services.eventBridge.events());
  app.get('/_admin/eventbridge/posts', async () => services.poster.posts());
  app.get('/_admin/sns/certificate', async () => ({
    url: sns.signingCertUrl,
    pem: sns.identity.certificatePem,
  }));
}
