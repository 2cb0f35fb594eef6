import { type ErrorKind, isDomainError } from '@billing-center/core';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/**
 * How the core's error kinds become HTTP statuses (the README's "Error format" table):
 * - validation → 400: the input itself is wrong, whoever noticed it (the schema or the core);
 * - rule-violation → 422: the input is well formed, but a product rule refuses it in the current state;
 * - conflict → 409: wrong state, duplicate, or someone else changed the object first.
 */
export const STATUS_BY_KIND: Record<ErrorKind, number> = {
  validation: 400,
  unauthenticated: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  'rule-violation': 422,
  unavailable: 503,
};

export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

/** An error the HTTP layer itself raises (authentication, CSRF, scopes), in the same shape as the core's. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export interface MappedError {
  status: number;
  body: ErrorBody;
  /** Logged at error level with its stack: a fault, never shown to the caller. */
  fault: boolean;
}

const MAX_FIELD_ERRORS = 50;

interface FieldError {
  in: string;
  path: string;
  message: string;
}

/**
 * The failing fields of a schema validation (TypeBox's errors), one entry per field: unknown properties and
 * missing ones by name, and the alternatives of an enum-like union as one "must be one of" message.
 */
function fieldErrors(error: FastifyError): FieldError[] {
  const where = error.validationContext ?? 'body';
  const raw = (error.validation ?? []) as Array<{
    keyword: string;
    instancePath?: string;
    schemaPath?: string;
    params?: Record<string, unknown>;
    message?: string;
  }>;
  const choices = new Map<string, unknown[]>();
  for (const v of raw) {
    if (v.keyword === 'const' && /\/anyOf\/\d+$/.test(v.schemaPath ?? '')) {
      const path = v.instancePath || '/';
      choices.set(path, [...(choices.get(path) ?? []), v.params?.allowedValue]);
    }
  }
  const out: FieldError[] = [];
  const seen = new Set<string>();
  const add = (path: string, message: string) => {
    const key = `${path} ${message}`;
    if (seen.has(key) || out.length >= MAX_FIELD_ERRORS) return;
    seen.add(key);
    out.push({ in: where, path: path || '/', message });
  };
  for (const v of raw) {
    const path = v.instancePath ?? '';
    if (v.keyword === 'boolean' && (v.schemaPath ?? '').endsWith('/additionalProperties')) {
      add(path, 'is not an allowed property');
    } else if (v.keyword === 'additionalProperties') {
      const names = v.params?.additionalProperties;
      for (const n of Array.isArray(names) ? names : []) add(`${path}/${n}`, 'is not an allowed property');
    } else if (v.keyword === 'required') {
      const names = v.params?.requiredProperties ?? [v.params?.missingProperty];
      for (const n of Array.isArray(names) ? names : []) add(`${path}/${n}`, 'is required');
    } else if (v.keyword === 'const' && choices.has(path || '/')) {
      // reported once, by the anyOf entry
    } else if (v.keyword === 'anyOf' && choices.has(path || '/')) {
      add(
        path,
        `must be one of: ${(choices.get(path || '/') ?? []).map((c) => JSON.stringify(c)).join(', ')}`,
      );
    } else {
      add(path, v.message ?? 'is invalid');
    }
  }
  return out;
}

/** Maps anything a handler or Fastify throws to the one error body; 5xx never carry internals. */
export function mapError(error: unknown, requestId: string): MappedError {
  if (isDomainError(error)) {
    const status = STATUS_BY_KIND[error.kind] ?? 500;
    return {
      status,
      fault: status >= 500 && error.kind !== 'unavailable',
      body: {
        error: {
          code: error.code,
          message: error.message,
          ...(error.details ? { details: error.details } : {}),
        },
      },
    };
  }
  if (error instanceof HttpError) {
    return {
      status: error.statusCode,
      fault: false,
      body: {
        error: {
          code: error.code,
          message: error.message,
          ...(error.details ? { details: error.details } : {}),
        },
      },
    };
  }
  const e = error as FastifyError;
  if (e?.validation) {
    const fields = fieldErrors(e);
    const first = fields[0];
    return {
      status: 400,
      fault: false,
      body: {
        error: {
          code: 'invalid-request',
          message: first
            ? `The request is invalid: ${first.in} ${first.path} ${first.message}.`
            : 'The request is invalid.',
          details: { fields },
        },
      },
    };
  }
  const status = typeof e?.statusCode === 'number' ? e.statusCode : 500;
  const simple = (code: string, message: string): MappedError => ({
    status,
    fault: false,
    body: { error: { code, message } },
  });
  switch (e?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return simple('body-too-large', 'The request body is larger than this endpoint accepts.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return simple(
        'unsupported-media-type',
        'This endpoint accepts application/json bodies only (the AWS fulfillment URL: application/x-www-form-urlencoded).',
      );
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return simple('malformed-body', 'The body is empty although the content type is application/json.');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return simple('malformed-body', 'The Content-Length header does not match the body.');
    case 'FST_ERR_RATE_LIMITED':
      return simple('rate-limited', e.message);
  }
  if (status === 400 && (e instanceof SyntaxError || /JSON/i.test(e?.message ?? ''))) {
    return simple('malformed-body', 'The body is not valid JSON.');
  }
  if (status >= 400 && status < 500) {
    return simple(
      status === 404 ? 'route-not-found' : 'bad-request',
      e?.message ?? 'The request is invalid.',
    );
  }
  return {
    status: 500,
    fault: true,
    body: {
      error: {
        code: 'internal-error',
        message: `Something went wrong on our side. Try again later; if it keeps failing, contact support with request id ${requestId}.`,
      },
    },
  };
}

/** The one error handler of the API's JSON routes. */
export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const mapped = mapError(error, request.id);
  if (mapped.fault) request.log.error({ err: error }, 'request failed');
  else if (mapped.status >= 500)
    request.log.warn({ code: mapped.body.error.code }, mapped.body.error.message);
  else request.log.info({ code: mapped.body.error.code, status: mapped.status }, 'request refused');
  if (mapped.status === 401) reply.header('www-authenticate', 'Bearer realm="billing-center"');
  if (mapped.status === 503 && !reply.hasHeader('retry-after')) reply.header('retry-after', '30');
  return reply.code(mapped.status).type('application/json; charset=utf-8').send(mapped.body);
}
