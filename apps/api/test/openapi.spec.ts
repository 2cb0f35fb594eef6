// The OpenAPI document: valid for an independent validator, complete (tags, summaries, security, response
// schemas, no open request objects), and the source of the typed client, which must be current.
import { readFileSync } from 'node:fs';
import { compileErrors, validate } from '@readme/openapi-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_TYPES_FILE, generateClientTypes } from '../scripts/generate-client.js';
import { buildOpenApiDocument } from '../src/openapi/document.js';

type Operation = {
  tags?: string[];
  summary?: string;
  security?: unknown[];
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  responses?: Record<string, { content?: Record<string, { schema: unknown }> }>;
};

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

/** Every object schema inside `schema` (following arrays, unions and properties). */
function objectsIn(
  schema: unknown,
  path: string,
  out: Array<{ path: string; schema: Record<string, unknown> }>,
) {
  if (!schema || typeof schema !== 'object') return out;
  const s = schema as Record<string, unknown>;
  if (s.type === 'object') out.push({ path, schema: s });
  for (const [k, v] of Object.entries((s.properties ?? {}) as Record<string, unknown>))
    objectsIn(v, `${path}.${k}`, out);
  if (s.items) objectsIn(s.items, `${path}[]`, out);
  for (const alt of (s.anyOf ?? s.oneOf ?? []) as unknown[]) objectsIn(alt, path, out);
  return out;
}

describe('the OpenAPI document', () => {
  let doc: Record<string, unknown> & { paths: Record<string, Record<string, Operation>> };
  beforeAll(async () => {
    doc = (await buildOpenApiDocument()) as typeof doc;
  });

  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([m]) => METHODS.includes(m))
        .map(([method, op]) => ({ name: `${method.toUpperCase()} ${path}`, path, op })),
    );

  it('is valid OpenAPI 3.1 for @readme/openapi-parser', async () => {
    expect(doc.openapi).toBe('3.1.0');
    // the validator dereferences in place: give it a copy
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid ? '' : compileErrors(result)).toBe('');
  });

  it('tags, summarises and secures every operation, and documents its success and error bodies', () => {
    const tags = new Set((doc.tags as Array<{ name: string }>).map((t) => t.name));
    const ops = operations();
    expect(ops.length).toBeGreaterThanOrEqual(35);
    for (const { name, op } of ops) {
      expect(op.tags?.length, name).toBeGreaterThan(0);
      for (const t of op.tags ?? []) expect(tags.has(t), `${name} tag ${t}`).toBe(true);
      expect(op.summary, name).toBeTruthy();
      expect(Array.isArray(op.security), `${name} security`).toBe(true);
      const statuses = Object.keys(op.responses ?? {});
      expect(
        statuses.some((s) => /^[23]/.test(s)),
        `${name} success response`,
      ).toBe(true);
      if (name.includes('/v1/')) {
        expect(statuses, name).toContain('500');
        const err = op.responses?.['500']?.content?.['application/json']?.schema;
        expect(err, name).toEqual({ $ref: '#/components/schemas/Error' });
      }
    }
  });

  it('refuses unknown properties in every request body except the AWS form post', () => {
    for (const { name, op } of operations()) {
      for (const [type, media] of Object.entries(op.requestBody?.content ?? {})) {
        for (const { path, schema } of objectsIn(media.schema, 'body', [])) {
          const open = type === 'application/x-www-form-urlencoded';
          expect(schema.additionalProperties, `${name} ${path}`).toBe(open);
        }
      }
    }
  });

  it('marks who may call what: public, customer, session, or a service key scope', () => {
    const security = (name: string) => operations().find((o) => o.name === name)?.op.security;
    expect(security('GET /v1/workspaces')).toEqual([{ session: [] }, { apiToken: [] }]);
    expect(security('POST /v1/me/api-tokens')).toEqual([{ session: [] }]);
    expect(security('POST /v1/platform/usage')).toEqual([{ serviceKey: ['usage:write'] }]);
    expect(security('POST /marketplace/{partition}/fulfillment')).toEqual([]);
    expect(security('POST /v1/sessions')).toEqual([]);
  });

  it('is what the committed typed client was generated from (run `pnpm generate:client` after a change)', async () => {
    const current = readFileSync(CLIENT_TYPES_FILE, 'utf8');
    expect(await generateClientTypes()).toBe(current);
  });
});
