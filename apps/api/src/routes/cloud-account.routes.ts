import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { ApiDependencies } from '../app.js';
import { customerOf } from '../http/auth.js';
import { presentCloudAccount, presentMeteringRecord, presentSubscriptionEvent } from '../http/presenters.js';
import {
  CloudAccountSchema,
  errors,
  Id,
  MeteringRecordPageSchema,
  PageQuery,
  ref,
  STRICT,
  SubscriptionEventSchema,
} from '../http/schemas.js';

const Params = Type.Object({ cloudAccountId: Id }, STRICT);

/** Registered AWS Marketplace accounts: subscription state, its history, and what was metered (read-only). */
export const cloudAccountRoutes: FastifyPluginAsyncTypebox<{ deps: ApiDependencies }> = async (
  app,
  { deps },
) => {
  const { useCases } = deps;
  const tags = ['cloud-accounts'];

  app.get(
    '/v1/cloud-accounts',
    {
      schema: {
        tags,
        summary: "The account's registered cloud accounts",
        response: {
          200: Type.Object({ items: Type.Array(ref(CloudAccountSchema)) }, STRICT),
          ...errors(401, 403),
        },
      },
    },
    async (request) => {
      const list = await useCases.cloudAccounts.list({ by: customerOf(request) });
      return { items: list.map(presentCloudAccount) };
    },
  );

  app.get(
    '/v1/cloud-accounts/:cloudAccountId',
    {
      schema: {
        tags,
        summary: 'One cloud account with its subscription state and entitlements',
        params: Params,
        response: { 200: ref(CloudAccountSchema), ...errors(401, 403, 404) },
      },
    },
    async (request) =>
      presentCloudAccount(
        await useCases.cloudAccounts.get({
          cloudAccountId: request.params.cloudAccountId,
          by: customerOf(request),
        }),
      ),
  );

  app.get(
    '/v1/cloud-accounts/:cloudAccountId/history',
    {
      schema: {
        tags,
        summary: "The subscription's history: every marketplace message applied to it, in AWS's order",
        params: Params,
        response: {
          200: Type.Object({ items: Type.Array(ref(SubscriptionEventSchema)) }, STRICT),
          ...errors(401, 403, 404),
        },
      },
    },
    async (request) => {
      const events = await useCases.cloudAccounts.history({
        cloudAccountId: request.params.cloudAccountId,
        by: customerOf(request),
      });
      return { items: events.map(presentSubscriptionEvent) };
    },
  );

  app.get(
    '/v1/cloud-accounts/:cloudAccountId/metering-records',
    {
      schema: {
        tags,
        summary: 'What was metered to AWS for this cloud account, hour by hour',
        params: Params,
        querystring: Type.Object(PageQuery, STRICT),
        response: { 200: ref(MeteringRecordPageSchema), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const page = await useCases.cloudAccounts.meteringRecords({
        cloudAccountId: request.params.cloudAccountId,
        by: customerOf(request),
        limit: request.query.limit,
        cursor: request.query.cursor ?? null,
      });
      return { items: page.items.map(presentMeteringRecord), nextCursor: page.nextCursor };
    },
  );
};
