import { DomainError, type ErrorKind, NotFoundError } from '@billing-center/core';
import { describe, expect, it } from 'vitest';
import { HttpError, mapError, STATUS_BY_KIND } from '../src/http/errors.js';

describe('mapError', () => {
  it.each([
    ['validation', 400],
    ['unauthenticated', 401],
    ['forbidden', 403],
    ['not-found', 404],
    ['conflict', 409],
    ['rule-violation', 422],
    ['unavailable', 503],
  ] as Array<
    [ErrorKind, number]
  >)('maps the core kind %s to %i with its code, message and details', (kind, status) => {
    const mapped = mapError(new DomainError(`some-${kind}`, kind, 'What to do next.', { id: 'x' }), 'req-1');
    expect(STATUS_BY_KIND[kind]).toBe(status);
    expect(mapped).toEqual({
      status,
      fault: false,
      body: { error: { code: `some-${kind}`, message: 'What to do next.', details: { id: 'x' } } },
    });
  });

  it('leaves details out when there are none', () => {
    expect(mapError(new HttpError(403, 'csrf-token-invalid', 'Send the header.'), 'r').body).toEqual({
      error: { code: 'csrf-token-invalid', message: 'Send the header.' },
    });
    expect(mapError(new NotFoundError('workspace', 'w1'), 'r').body.error.details).toEqual({ id: 'w1' });
  });

  it('turns anything else into a 500 that names only the request id', () => {
    const mapped = mapError(new TypeError("Cannot read properties of undefined (reading 'secret')"), 'req-9');
    expect(mapped.status).toBe(500);
    expect(mapped.fault).toBe(true);
    expect(mapped.body.error.code).toBe('internal-error');
    expect(mapped.body.error.message).toContain('req-9');
    expect(JSON.stringify(mapped.body)).not.toContain('secret');
    expect(mapError('a thrown string', 'r').status).toBe(500);
  });

  it("maps Fastify's own errors to the same shape", () => {
    const fst = (code: string, statusCode: number, message = 'x') =>
      Object.assign(new Error(message), { code, statusCode });
    expect(mapError(fst('FST_ERR_CTP_BODY_TOO_LARGE', 413), 'r').body.error.code).toBe('body-too-large');
    expect(mapError(fst('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415), 'r').body.error.code).toBe(
      'unsupported-media-type',
    );
    expect(mapError(fst('FST_ERR_CTP_EMPTY_JSON_BODY', 400), 'r').body.error.code).toBe('malformed-body');
    expect(mapError(fst('FST_ERR_SOMETHING_NEW', 400, 'odd request'), 'r').body.error).toEqual({
      code: 'bad-request',
      message: 'odd request',
    });
    const validation = Object.assign(new Error('bad'), {
      statusCode: 400,
      validationContext: 'body',
      validation: [
        {
          keyword: 'required',
          instancePath: '',
          schemaPath: '#',
          params: { requiredProperties: ['name'] },
          message: 'x',
        },
        {
          keyword: 'const',
          instancePath: '/kind',
          schemaPath: '#/properties/kind/anyOf/0',
          params: { allowedValue: 'a' },
        },
        {
          keyword: 'const',
          instancePath: '/kind',
          schemaPath: '#/properties/kind/anyOf/1',
          params: { allowedValue: 'b' },
        },
        { keyword: 'anyOf', instancePath: '/kind', schemaPath: '#/properties/kind', params: {} },
      ],
    });
    expect(mapError(validation, 'r').body.error).toEqual({
      code: 'invalid-request',
      message: 'The request is invalid: body /name is required.',
      details: {
        fields: [
          { in: 'body', path: '/name', message: 'is required' },
          { in: 'body', path: '/kind', message: 'must be one of: "a", "b"' },
        ],
      },
    });
  });
});
