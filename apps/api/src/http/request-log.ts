import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyRequest, FastifyServerOptions } from 'fastify';

/** Where log lines go: standard output in production, a memory stream in tests that read them. */
export interface DestinationStream {
  write(line: string): void;
}

/** Query parameters whose values never reach a log line. */
const SECRET_PARAM = /token|key|password|secret|ticket|code/i;

/**
 * The URL as logged: the fulfillment URL's query string is dropped whole (it may carry the AWS
 * registration token), and any other parameter that looks like a secret is masked.
 */
export function loggableUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const path = url.slice(0, q);
  if (path.startsWith('/marketplace/')) return `${path}?[redacted]`;
  const params = new URLSearchParams(url.slice(q + 1));
  const kept = [...params].map(
    ([k, v]) => `${encodeURIComponent(k)}=${SECRET_PARAM.test(k) ? '[redacted]' : encodeURIComponent(v)}`,
  );
  return `${path}?${kept.join('&')}`;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** Take the caller's `X-Request-Id` when it is a sane token, otherwise make one. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/** Structured JSON logs with request ids; credentials and secrets are censored before a line is written. */
export function loggerOptions(
  level: string,
  stream?: DestinationStream,
): Exclude<FastifyServerOptions['logger'], boolean | undefined> {
  return {
    level,
    ...(stream ? { stream } : {}),
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["x-csrf-token"]',
        'res.headers["set-cookie"]',
        '*.password',
        '*.token',
        '*.key',
        '*.sessionToken',
      ],
      censor: '[redacted]',
    },
    serializers: {
      req(request: FastifyRequest) {
        return {
          method: request.method,
          url: loggableUrl(request.url),
          remoteAddress: request.ip,
        };
      },
    },
  };
}
