/**
 * How an AWS SDK v3 failure is classified. The SDK throws service exceptions named after the AWS error
 * (`ThrottlingException`) with `$metadata.httpStatusCode`, and plain Node errors (with a `code` such as
 * `ECONNRESET`) or `TimeoutError` when the connection fails.
 */
export type AwsFailureKind =
  /** AWS refused the call for its rate: nothing was applied. */
  | 'throttled'
  /** AWS answered 5xx: nothing was applied, or AWS will answer identically when asked again. */
  | 'server'
  /** The request never left (connection refused, DNS): nothing was applied. */
  | 'not-sent'
  /** The connection failed after the request may have reached AWS: the outcome is unknown. */
  | 'lost'
  /** Any other answer from AWS (a 4xx): it names the problem. */
  | 'client';

const THROTTLING_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'SlowDown',
]);
const SERVER_NAMES = new Set(['InternalServiceErrorException', 'InternalFailure', 'ServiceUnavailable']);
// Failures before a single byte of the request went out.
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export function awsErrorName(err: unknown): string {
  if (err && typeof err === 'object') {
    const name = (err as { name?: unknown }).name;
    if (typeof name === 'string' && name !== 'Error') return name;
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return 'UnknownError';
}

export function httpStatusOf(err: unknown): number | undefined {
  const status = (err as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

export function classifyAwsFailure(err: unknown): AwsFailureKind {
  const name = awsErrorName(err);
  const status = httpStatusOf(err);
  if (THROTTLING_NAMES.has(name) || status === 429) return 'throttled';
  if (SERVER_NAMES.has(name) || (status !== undefined && status >= 500)) return 'server';
  // A 2xx whose body broke off (reset, time-out, truncated JSON): AWS read the request and probably acted.
  if (status !== undefined && status >= 200 && status < 300) return 'lost';
  if (status !== undefined) return 'client';
  // A service exception without a status (built by a test double) still says whose fault it is.
  const fault = (err as { $fault?: unknown } | null)?.$fault;
  if (fault === 'server') return 'server';
  if (fault === 'client') return 'client';
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && NOT_SENT_CODES.has(code)) return 'not-sent';
  // The SDK's deserializer failing on a truncated body, a socket reset or a timeout: AWS may have acted.
  return 'lost';
}
