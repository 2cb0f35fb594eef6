/**
 * Decides whether a message's SigningCertURL may be fetched at all. It runs before any network access: a
 * forged message must not be able to make us fetch from a host of its choosing (or anywhere but SNS).
 */
export type CertificateUrlDecision =
  | { readonly ok: true; readonly url: string }
  | { readonly ok: false; readonly reason: string };

export interface CertificateUrlPolicyOptions {
  /**
   * Origins (`scheme://host[:port]`, nothing else) of a local SNS simulator whose certificates are trusted
   * too, for development and tests only. Production configuration leaves this empty (the default).
   */
  readonly trustedLocalCertificateOrigins?: readonly string[];
}

const MAX_URL_LENGTH = 512;

// The exact shape SNS uses: https, `sns.<region>.amazonaws.com` (`.com.cn` in China), default port, no
// userinfo, query or fragment, one path segment. Written as one anchored pattern over the raw string so
// that no URL normalisation (case folding, `\` for `/`, percent-decoding, dropped tabs) happens before it.
const AWS_CERTIFICATE_URL =
  /^https:\/\/sns\.(?<region>[a-z]{2}(?:-[a-z]+)+-\d{1,2})\.amazonaws\.com(?<china>\.cn)?\/SimpleNotificationService-[A-Za-z0-9]{1,128}\.pem$/;
const LOCAL_CERTIFICATE_PATH =
  /^(?:\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*\/SimpleNotificationService-[A-Za-z0-9]{1,128}\.pem$/;

export class CertificateUrlPolicy {
  private readonly localOrigins: ReadonlySet<string>;

  constructor(options: CertificateUrlPolicyOptions = {}) {
    this.localOrigins = new Set((options.trustedLocalCertificateOrigins ?? []).map(parseTrustedOrigin));
  }

  check(url: string): CertificateUrlDecision {
    if (typeof url !== 'string' || url.length > MAX_URL_LENGTH) {
      return { ok: false, reason: 'the certificate URL is not a string of reasonable length' };
    }
    const aws = AWS_CERTIFICATE_URL.exec(url);
    if (aws) {
      const chinaRegion = aws.groups?.region?.startsWith('cn-') ?? false;
      const chinaHost = aws.groups?.china !== undefined;
      if (chinaRegion !== chinaHost) {
        return { ok: false, reason: 'the certificate host mixes a region and a partition that do not match' };
      }
      // The pattern admits only characters that URL parsing leaves as they are, so the string checked here
      // is exactly the one fetched (a property test holds the pattern to that).
      return { ok: true, url };
    }
    if (this.localOrigins.size > 0) {
      const local = this.checkLocal(url);
      if (local) return local;
    }
    return {
      ok: false,
      reason:
        'the certificate URL is not https://sns.<region>.amazonaws.com[.cn]/SimpleNotificationService-*.pem',
    };
  }

  private checkLocal(url: string): CertificateUrlDecision | undefined {
    const parsed = parseUrl(url);
    if (!parsed || !this.localOrigins.has(parsed.origin)) return undefined;
    if (parsed.href !== url || parsed.username || parsed.password || parsed.search || parsed.hash) {
      return { ok: false, reason: 'the local certificate URL is not in canonical form' };
    }
    if (!LOCAL_CERTIFICATE_PATH.test(parsed.pathname)) {
      return { ok: false, reason: 'the local certificate path is not …/SimpleNotificationService-*.pem' };
    }
    return { ok: true, url };
  }
}

function parseUrl(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

function parseTrustedOrigin(origin: string): string {
  const parsed = parseUrl(origin);
  const bare =
    parsed !== undefined &&
    (parsed.protocol === 'http:' || parsed.protocol === 'https:') &&
    !parsed.username &&
    !parsed.password &&
    parsed.pathname === '/' &&
    !parsed.search &&
    !parsed.hash &&
    (origin === parsed.origin || origin === `${parsed.origin}/`);
  if (!bare) {
    throw new Error(
      `trustedLocalCertificateOrigins: ${JSON.stringify(origin)} must be a bare origin such as http://127.0.0.1:4566`,
    );
  }
  return parsed.origin;
}
