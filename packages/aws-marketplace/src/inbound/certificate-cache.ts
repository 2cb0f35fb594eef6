import { type KeyObject, X509Certificate } from 'node:crypto';

/** Port: fetches the PEM text of an SNS signing certificate. Only ever called with a policy-approved URL. */
export interface CertificateFetcher {
  fetch(url: string, options?: { readonly signal?: AbortSignal }): Promise<string>;
}

/** A signing certificate, parsed once: verifying a message needs only its key and validity period. */
export interface SigningCertificate {
  readonly url: string;
  readonly publicKey: KeyObject;
  /** Validity period, in milliseconds since the epoch. */
  readonly validFromMs: number;
  readonly validToMs: number;
  readonly subject: string;
  readonly fingerprint256: string;
}

/** The certificate could not be fetched (network, HTTP status, timeout): a later attempt may succeed. */
export class CertificateUnavailableError extends Error {
  readonly code = 'certificate-unavailable';
  constructor(
    readonly url: string,
    options?: ErrorOptions,
  ) {
    super(`the signing certificate at ${url} could not be fetched`, options);
    this.name = 'CertificateUnavailableError';
  }
}

/** What was fetched is not a usable RSA certificate. */
export class CertificateInvalidError extends Error {
  readonly code = 'certificate-invalid';
  constructor(
    readonly url: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`the signing certificate at ${url} is unusable: ${reason}`, options);
    this.name = 'CertificateInvalidError';
  }
}

export interface SigningCertificateCacheOptions {
  /** How many parsed certificates to keep (least recently used goes first). Default 32. */
  readonly maxEntries?: number;
  /** Give up on a fetch after this long. Default 5 000 ms. */
  readonly fetchTimeoutMs?: number;
}

/**
 * Fetches and parses each signing certificate once, then serves the parsed key from a bounded LRU cache.
 * Concurrent requests for the same URL share one fetch. Failures are not cached.
 */
export class SigningCertificateCache {
  private readonly maxEntries: number;
  private readonly fetchTimeoutMs: number;
  private readonly entries = new Map<string, { certificate: SigningCertificate; lastUsed: number }>();
  private readonly inFlight = new Map<string, Promise<SigningCertificate>>();
  // Recency is a counter rather than Map re-insertion: a hit (every verification) then costs no Map writes,
  // and the linear scan for the oldest entry happens only when a new certificate is added.
  private clock = 0;

  constructor(
    private readonly fetcher: CertificateFetcher,
    options: SigningCertificateCacheOptions = {},
  ) {
    this.maxEntries = positiveInteger(options.maxEntries ?? 32, 'maxEntries');
    this.fetchTimeoutMs = positiveInteger(options.fetchTimeoutMs ?? 5_000, 'fetchTimeoutMs');
  }

  get size(): number {
    return this.entries.size;
  }

  /** The certificate if it is cached, without fetching. */
  peek(url: string): SigningCertificate | undefined {
    const entry = this.entries.get(url);
    if (!entry) return undefined;
    this.clock += 1;
    entry.lastUsed = this.clock;
    return entry.certificate;
  }

  /** Rejects with {@link CertificateUnavailableError} or {@link CertificateInvalidError}. */
  get(url: string): Promise<SigningCertificate> {
    const cached = this.peek(url);
    if (cached) return Promise.resolve(cached);
    let pending = this.inFlight.get(url);
    if (!pending) {
      pending = this.load(url).finally(() => this.inFlight.delete(url));
      this.inFlight.set(url, pending);
    }
    return pending;
  }

  private async load(url: string): Promise<SigningCertificate> {
    let pem: string;
    try {
      pem = await withTimeout(this.fetchTimeoutMs, (signal) => this.fetcher.fetch(url, { signal }));
    } catch (cause) {
      throw new CertificateUnavailableError(url, { cause });
    }
    const certificate = parseSigningCertificate(url, pem);
    if (this.entries.size >= this.maxEntries) this.evictLeastRecentlyUsed();
    this.clock += 1;
    this.entries.set(url, { certificate, lastUsed: this.clock });
    return certificate;
  }

  private evictLeastRecentlyUsed(): void {
    let oldest: string | undefined;
    let oldestUse = Number.POSITIVE_INFINITY;
    for (const [url, entry] of this.entries) {
      if (entry.lastUsed < oldestUse) {
        oldest = url;
        oldestUse = entry.lastUsed;
      }
    }
    if (oldest !== undefined) this.entries.delete(oldest);
  }
}

export function parseSigningCertificate(url: string, pem: string): SigningCertificate {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(pem);
  } catch (cause) {
    throw new CertificateInvalidError(url, 'not a PEM X.509 certificate', { cause });
  }
  const publicKey = x509.publicKey;
  if (publicKey.asymmetricKeyType !== 'rsa') {
    throw new CertificateInvalidError(url, `its key is ${publicKey.asymmetricKeyType ?? 'unknown'}, not RSA`);
  }
  const validFromMs = Date.parse(x509.validFrom);
  const validToMs = Date.parse(x509.validTo);
  if (!Number.isFinite(validFromMs) || !Number.isFinite(validToMs)) {
    throw new CertificateInvalidError(url, 'its validity period cannot be read');
  }
  return {
    url,
    publicKey,
    validFromMs,
    validToMs,
    subject: x509.subject,
    fingerprint256: x509.fingerprint256,
  };
}

/** Runs `task` with an abort signal that fires after `ms`, and stops waiting then even if `task` ignores it. */
async function withTimeout<T>(ms: number, task: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new Error(`timed out after ${ms} ms`);
      controller.abort(error);
      reject(error);
    }, ms);
  });
  try {
    return await Promise.race([task(controller.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}
