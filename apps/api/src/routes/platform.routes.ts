import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { ApiDependencies } from '../app.js';
import { metaOf, platformOf, service } from '../http/auth.js';
import { presentBillingStatus, presentWorkspace } from '../http/presenters.js';
import {
  BillingStatusSchema,
  errors,
  Id,
  PageQuery,
  ref,
  STRICT,
  UsageResultSchema,
  WorkspacePageSchema,
  WorkspaceSchema,
} from '../http/schemas.js';

const WorkspaceParams = Type.Object({ workspaceId: Id }, STRICT);

/**
 * The observability platform's side, with scoped service keys: push usage, keep workspaces in sync, report
 * arrears, and read whether a workspace's data may still be accepted.
 */
export const platformRoutes: FastifyPluginAsyncTypebox<{ deps: ApiDependencies }> = async (app, { deps }) => {
  const { useCases } = deps;
  const tags = ['platform'];
  const batchLimit = deps.config.runtime.core.usageBatchLimit;

  // Shapes are checked here (a malformed batch is refused whole, nothing stored); values — unknown
  // workspace or item, hour out of range, negative quantity, reused key — are judged per record.
  const UsageRecordBody = Type.Object(
    {
      idempotencyKey: Type.String({
        maxLength: 200,
        description: 'Same key and payload: a duplicate, stored once.',
      }),
      workspaceId: Type.String({ maxLength: 128 }),
      itemCode: Type.String({ maxLength: 100, description: 'A billing item of the pricing catalog.' }),
      hour: Type.String({
        maxLength: 64,
        description: 'ISO 8601 time within the UTC hour the usage belongs to.',
      }),
      quantity: Type.Integer({ description: 'Non-negative, in the billing item’s units.' }),
    },
    STRICT,
  );

  app.post(
    '/v1/platform/usage',
    {
      config: { auth: service('usage:write') },
      schema: {
        tags,
        summary: `Report usage: up to ${batchLimit} records, idempotent by key, one result per record`,
        body: Type.Object(
          { records: Type.Array(UsageRecordBody, { minItems: 1, maxItems: batchLimit }) },
          STRICT,
        ),
        response: {
          200: Type.Object(
            {
              accepted: Type.Integer(),
              duplicates: Type.Integer(),
              rejected: Type.Integer(),
              results: Type.Array(ref(UsageResultSchema)),
            },
            STRICT,
          ),
          ...errors(400, 401, 403, 413, 415),
        },
      },
    },
    async (request) => {
      const results = await useCases.recordUsage.execute({
        records: request.body.records,
        by: platformOf(request),
      });
      let accepted = 0;
      let duplicates = 0;
      for (const r of results) {
        if (r.result === 'accepted') accepted += 1;
        else if (r.result === 'duplicate') duplicates += 1;
      }
      return { accepted, duplicates, rejected: results.length - accepted - duplicates, results };
    },
  );

  app.get(
    '/v1/platform/workspaces',
    {
      config: { auth: service('workspaces:read') },
      schema: {
        tags,
        summary: 'Workspaces of one account (or all), with billing method and lock state',
        querystring: Type.Object(
          {
            ownerAccountId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
            locked: Type.Optional(Type.Boolean()),
            includeDissolved: Type.Optional(Type.Boolean()),
            ...PageQuery,
          },
          STRICT,
        ),
        response: { 200: ref(WorkspacePageSchema), ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const q = request.query;
      const page = await useCases.workspaces.list({
        by: platformOf(request),
        ownerAccountId: q.ownerAccountId,
        locked: q.locked,
        includeDissolved: q.includeDissolved,
        limit: q.limit,
        cursor: q.cursor ?? null,
      });
      return { items: page.items.map(presentWorkspace), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/v1/platform/workspaces/:workspaceId/billing-status',
    {
      config: { auth: service('workspaces:read') },
      schema: {
        tags,
        summary: 'Whether to accept the workspace’s data: locked, fully locked, and who pays now and next',
        params: WorkspaceParams,
        response: { 200: ref(BillingStatusSchema), ...errors(401, 403, 404) },
      },
    },
    async (request) =>
      presentBillingStatus(
        await useCases.workspaces.billingStatus({
          workspaceId: request.params.workspaceId,
          by: platformOf(request),
        }),
      ),
  );

  app.put(
    '/v1/platform/workspaces/:workspaceId',
    {
      config: { auth: service('workspaces:sync') },
      schema: {
        tags,
        summary: 'Sync a platform workspace: create it under the platform’s id, or rename it',
        description: 'Owner, site and language are fixed at creation; a different value answers 409.',
        params: WorkspaceParams,
        body: Type.Object(
          {
            ownerAccountId: Type.String({ minLength: 1, maxLength: 128 }),
            name: Type.String({ minLength: 1, maxLength: 100 }),
            language: Type.Union([Type.Literal('en'), Type.Literal('zh')]),
            siteId: Type.String({ minLength: 1, maxLength: 16 }),
          },
          STRICT,
        ),
        response: {
          200: Type.Object({ workspace: ref(WorkspaceSchema), created: Type.Boolean() }, STRICT),
          201: Type.Object({ workspace: ref(WorkspaceSchema), created: Type.Boolean() }, STRICT),
          ...errors(400, 401, 403, 404, 409, 413, 415),
        },
      },
    },
    async (request, reply) => {
      const { workspace, created } = await useCases.syncWorkspace.execute(
        { id: request.params.workspaceId, ...request.body, by: platformOf(request) },
        metaOf(request),
      );
      return reply.code(created ? 201 : 200).send({ workspace: presentWorkspace(workspace), created });
    },
  );

  app.post(
    '/v1/platform/workspaces/:workspaceId/lock',
    {
      config: { auth: service('workspaces:sync') },
      schema: {
        tags,
        summary: 'Lock a workspace for arrears on its Billing Center balance',
        params: WorkspaceParams,
        body: Type.Object(
          { reason: Type.Literal('arrears'), note: Type.Optional(Type.String({ maxLength: 500 })) },
          STRICT,
        ),
        response: { 200: ref(WorkspaceSchema), ...errors(400, 401, 403, 404, 409, 413, 415, 422) },
      },
    },
    async (request) => {
      const ws = await useCases.lockWorkspace.execute(
        {
          workspaceId: request.params.workspaceId,
          reason: request.body.reason,
          note: request.body.note,
          by: platformOf(request),
        },
        metaOf(request),
      );
      return presentWorkspace(ws);
    },
  );
};
