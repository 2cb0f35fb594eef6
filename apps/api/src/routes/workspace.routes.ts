import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { ApiDependencies } from '../app.js';
import { customerOf, metaOf } from '../http/auth.js';
import { presentBinding, presentWorkspace } from '../http/presenters.js';
import {
  BindingSchema,
  errors,
  Id,
  PageQuery,
  ref,
  STRICT,
  WorkspacePageSchema,
  WorkspaceSchema,
} from '../http/schemas.js';

export const BillingMethodBody = Type.Object(
  {
    kind: Type.Union([Type.Literal('billing-center'), Type.Literal('cloud-account')]),
    cloudAccountId: Type.Optional(
      Type.String({ minLength: 1, maxLength: 128, description: 'Required when kind is cloud-account.' }),
    ),
  },
  { ...STRICT, description: 'Billing Center settlement, or one of the account’s registered cloud accounts.' },
);

export const NewWorkspaceBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    language: Type.Union([Type.Literal('en'), Type.Literal('zh')], { description: 'Fixed at creation.' }),
    siteId: Type.String({ minLength: 1, maxLength: 16, description: 'See GET /v1/sites.' }),
  },
  STRICT,
);

const WorkspaceParams = Type.Object({ workspaceId: Id }, STRICT);
const MethodBody = Type.Object({ method: BillingMethodBody }, STRICT);

const SiteSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    cloud: Type.String(),
    awsPartition: Type.Union([Type.Literal('aws'), Type.Literal('aws-cn'), Type.Null()], {
      description: 'Set for AWS sites: the AWS Marketplace that can settle their workspaces.',
    }),
  },
  STRICT,
);

const JSON_UTF8 = 'application/json; charset=utf-8';

/** Workspace Management: list, create, read, change billing method, unlock, dissolve, bind in bulk. */
export const workspaceRoutes: FastifyPluginAsyncTypebox<{ deps: ApiDependencies }> = async (
  app,
  { deps },
) => {
  const { useCases } = deps;
  const tags = ['workspaces'];
  const toMethod = (m: { kind: 'billing-center' | 'cloud-account'; cloudAccountId?: string }) =>
    // the core checks the combination and answers invalid-billing-method
    (m.kind === 'cloud-account'
      ? { kind: m.kind, cloudAccountId: m.cloudAccountId ?? '' }
      : { kind: m.kind }) as { kind: 'billing-center' } | { kind: 'cloud-account'; cloudAccountId: string };

  app.get(
    '/v1/sites',
    {
      schema: {
        tags,
        summary: 'The sites a workspace can live on',
        response: { 200: Type.Object({ items: Type.Array(SiteSchema) }, STRICT), ...errors(401, 403) },
      },
    },
    async () => ({
      items: deps.ctx.sites.all().map((s) => ({
        id: s.id,
        name: s.name,
        cloud: s.cloud,
        awsPartition: s.awsPartition ?? null,
      })),
    }),
  );

  app.get(
    '/v1/workspaces',
    {
      schema: {
        tags,
        summary: "The account's workspaces with billing method and lock state, by id",
        querystring: Type.Object(
          {
            locked: Type.Optional(
              Type.Boolean({ description: 'Only locked (true) or unlocked (false) ones.' }),
            ),
            cloudAccountId: Type.Optional(
              Type.String({ minLength: 1, maxLength: 128, description: 'Only those settled by it.' }),
            ),
            includeDissolved: Type.Optional(
              Type.Boolean({ description: 'Dissolved ones too (default false).' }),
            ),
            ...PageQuery,
          },
          STRICT,
        ),
        response: { 200: ref(WorkspacePageSchema), ...errors(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const q = request.query;
      // the body as the route's schema serializes it, kept per account and query (see workspaceList)
      const body = await deps.workspaceList.list(
        {
          by: customerOf(request),
          locked: q.locked,
          cloudAccountId: q.cloudAccountId,
          includeDissolved: q.includeDissolved,
          limit: q.limit,
          cursor: q.cursor ?? null,
        },
        (page) =>
          Buffer.from(
            reply.serialize({
              items: page.items.map(presentWorkspace),
              nextCursor: page.nextCursor,
            }) as string,
          ),
      );
      // already serialized: Fastify sends a Buffer as it is (the typed reply only knows the object form)
      return reply.type(JSON_UTF8).send(body as never);
    },
  );

  app.post(
    '/v1/workspaces',
    {
      schema: {
        tags,
        summary: 'Create a workspace, settled by the Billing Center balance',
        body: NewWorkspaceBody,
        response: { 201: ref(WorkspaceSchema), ...errors(400, 401, 403, 413, 415) },
      },
    },
    async (request, reply) => {
      const by = customerOf(request);
      const ws = await useCases.createWorkspace.execute(
        { ...request.body, ownerAccountId: by.accountId, by },
        metaOf(request),
      );
      return reply.code(201).send(presentWorkspace(ws));
    },
  );

  app.get(
    '/v1/workspaces/:workspaceId',
    {
      schema: {
        tags,
        summary: 'One workspace',
        params: WorkspaceParams,
        response: { 200: ref(WorkspaceSchema), ...errors(401, 403, 404) },
      },
    },
    async (request) =>
      presentWorkspace(
        await useCases.workspaces.get({ workspaceId: request.params.workspaceId, by: customerOf(request) }),
      ),
  );

  app.get(
    '/v1/workspaces/:workspaceId/bindings',
    {
      schema: {
        tags,
        summary: 'The periods in which cloud accounts settled the workspace, oldest first',
        params: WorkspaceParams,
        response: {
          200: Type.Object({ items: Type.Array(ref(BindingSchema)) }, STRICT),
          ...errors(401, 403, 404),
        },
      },
    },
    async (request) => {
      const list = await useCases.workspaces.bindings({
        workspaceId: request.params.workspaceId,
        by: customerOf(request),
      });
      return { items: list.map(presentBinding) };
    },
  );

  app.put(
    '/v1/workspaces/:workspaceId/billing-method',
    {
      schema: {
        tags,
        summary: 'Change the billing method (from the next UTC hour; at most once per calendar month)',
        params: WorkspaceParams,
        body: MethodBody,
        response: { 200: ref(WorkspaceSchema), ...errors(400, 401, 403, 404, 409, 413, 415, 422) },
      },
    },
    async (request) => {
      const ws = await useCases.changeBillingMethod.execute(
        {
          workspaceId: request.params.workspaceId,
          method: toMethod(request.body.method),
          by: customerOf(request),
        },
        metaOf(request),
      );
      return presentWorkspace(ws);
    },
  );

  app.post(
    '/v1/workspaces/:workspaceId/unlock',
    {
      schema: {
        tags,
        summary: 'Unlock a locked workspace by choosing a billing method (not limited to once a month)',
        params: WorkspaceParams,
        body: MethodBody,
        response: { 200: ref(WorkspaceSchema), ...errors(400, 401, 403, 404, 409, 413, 415, 422) },
      },
    },
    async (request) => {
      const ws = await useCases.unlockWorkspace.execute(
        {
          workspaceId: request.params.workspaceId,
          method: toMethod(request.body.method),
          by: customerOf(request),
        },
        metaOf(request),
      );
      return presentWorkspace(ws);
    },
  );

  app.post(
    '/v1/workspaces/:workspaceId/dissolve',
    {
      schema: {
        tags,
        summary: 'Dissolve a workspace (also while locked); its payer keeps the current hour',
        params: WorkspaceParams,
        response: { 200: ref(WorkspaceSchema), ...errors(401, 403, 404, 409) },
      },
    },
    async (request) => {
      const ws = await useCases.dissolveWorkspace.execute(
        { workspaceId: request.params.workspaceId, by: customerOf(request) },
        metaOf(request),
      );
      return presentWorkspace(ws);
    },
  );

  app.post(
    '/v1/cloud-accounts/:cloudAccountId/workspaces',
    {
      schema: {
        tags,
        summary: 'Settle several workspaces through one registered cloud account, all or nothing',
        description:
          'Locked workspaces are unlocked by this choice. If any workspace cannot be bound, nothing changes ' +
          'and the 422 answer lists every failure in `details.failures`.',
        params: Type.Object({ cloudAccountId: Id }, STRICT),
        body: Type.Object(
          { workspaceIds: Type.Array(Id, { minItems: 1, maxItems: 100, uniqueItems: true }) },
          STRICT,
        ),
        response: {
          200: Type.Object({ workspaces: Type.Array(ref(WorkspaceSchema)) }, STRICT),
          ...errors(400, 401, 403, 404, 409, 413, 415, 422),
        },
      },
    },
    async (request) => {
      const done = await useCases.bindWorkspaces.execute(
        {
          cloudAccountId: request.params.cloudAccountId,
          workspaceIds: request.body.workspaceIds,
          by: customerOf(request),
        },
        metaOf(request),
      );
      return { workspaces: done.map(presentWorkspace) };
    },
  );
};
