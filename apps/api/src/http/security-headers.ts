import type { FastifyInstance } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * The headers `helmet` sets for these options. They do not depend on the request, so they are worked out
 * once here: `@fastify/helmet` rebuilt helmet's middleware (parsing the CSP directives again) on every
 * request.
 */
export function securityHeadersFor(options: HelmetOptions): Array<[string, string]> {
  const headers = new Map<string, string>();
  const response = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers.set(name, Array.isArray(value) ? value.join(', ') : String(value));
    },
    removeHeader(name: string) {
      headers.delete(name);
    },
    getHeader: (name: string) => headers.get(name),
  };
  let failure: unknown = null;
  const middleware = helmet(options) as unknown as (
    req: object,
    res: typeof response,
    next: (e?: unknown) => void,
  ) => void;
  middleware({ headers: {}, method: 'GET', url: '/' }, response, (e) => {
    failure = e ?? null;
  });
  if (failure) throw failure;
  return [...headers];
}

/** Sets them on every answer (as early as `@fastify/helmet` did: errors and 404s carry them too). */
export function registerSecurityHeaders(app: FastifyInstance, options: HelmetOptions): void {
  const headers = securityHeadersFor(options);
  app.addHook('onRequest', (_request, reply, done) => {
    for (const [name, value] of headers) reply.raw.setHeader(name, value);
    done();
  });
}
