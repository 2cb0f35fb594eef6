import type { CertificateFetcher } from './certificate-cache.js';

export interface HttpsCertificateFetcherOptions {
  /** Abort the request after this long. Default 5 000 ms. */
  readonly timeoutMs?: number;
  /** Refuse a body larger than this. SNS certificates are about 2 KB; default 16 KiB. */
  readonly maxCertificateBytes?: number;
  /**
   * Also fetch `http:` URLs. Only for a trusted local SNS simulator; the certificate URL policy decides
   * which URLs get here at all. Default false.
   */
  readonly allowHttp?: boolean;
  /** The fetch implementation; the global one by default. */
  readonly fetch?: typeof globalThis.fetch;
}

/**
 * Production {@link CertificateFetcher}: one GET with the global `fetch`, no redirects followed (a redirect
 * would fetch a URL the policy never saw), a timeout, and a size cap read off the stream.
 */
export class HttpsCertificateFetcher implements CertificateFetcher {
  private readonly timeoutMs: number;
  private readonly maxCertificateBytes: number;
  private readonly allowHttp: boolean;
  private readonly fetchImpl: typeof globalThis.fetch;

  constructor(options: HttpsCertificateFetcherOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.maxCertificateBytes = options.maxCertificateBytes ?? 16 * 1024;
    this.allowHttp = options.allowHttp ?? false;
    this.fetchImpl = options.fetch ?? globalThis.fetch;
  }

  async fetch(url: string, options: { readonly signal?: AbortSignal } = {}): Promise<string> {
    const protocol = new URL(url).protocol;
    if (protocol !== 'https:' && !(this.allowHttp && protocol === 'http:')) {
      throw new Error(`refusing to fetch a certificate over ${protocol}`);
    }
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const response = await this.fetchImpl(url, {
      method: 'GET',
      redirect: 'error',
      signal,
      headers: { accept: 'application/x-pem-file, application/x-x509-ca-cert, text/plain, */*' },
    });
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new Error(`the certificate request answered HTTP ${response.status}`);
    }
    const declared = Number(response.headers.get('content-length') ?? Number.NaN);
    if (declared > this.maxCertificateBytes) {
      await response.body?.cancel();
      throw new Error(`the certificate is larger than ${this.maxCertificateBytes} bytes`);
    }
    const bytes = await readAtMost(response, this.maxCertificateBytes);
    const pem = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    if (!pem.includes('-----BEGIN CERTIFICATE-----'))
      throw new Error('the response is not a PEM certificate');
    return pem;
  }
}

/** Reads the body, cancelling as soon as it grows past `limit` (a missing content-length proves nothing). */
async function readAtMost(response: Response, limit: number): Promise<Uint8Array> {
  if (!response.body) return new Uint8Array();
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw new Error(`the certificate is larger than ${limit} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}
