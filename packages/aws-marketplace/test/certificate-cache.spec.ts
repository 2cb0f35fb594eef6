import { generateKeyPairSync, KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type CertificateFetcher,
  CertificateInvalidError,
  CertificateUnavailableError,
  parseSigningCertificate,
  SigningCertificateCache,
} from '../src/inbound/certificate-cache.js';
import { loadSnsVectors, StubCertificateFetcher } from './support/sns-vectors.js';

const vectors = loadSnsVectors();
const urls = [...new Set(vectors.map((v) => v.signingCertUrl))];
const [firstUrl, secondUrl, thirdUrl] = urls as [string, string, string];

/** A fetcher whose answers the test releases by hand. */
class ManualFetcher implements CertificateFetcher {
  readonly pending: { url: string; resolve: (pem: string) => void; reject: (e: Error) => void }[] = [];
  readonly signals: (AbortSignal | undefined)[] = [];

  fetch(url: string, options?: { signal?: AbortSignal }): Promise<string> {
    this.signals.push(options?.signal);
    return new Promise((resolve, reject) => this.pending.push({ url, resolve, reject }));
  }
}

describe('parseSigningCertificate', () => {
  it.each(urls)('reads the RSA key and validity period of %s', (url) => {
    const pem = vectors.find((v) => v.signingCertUrl === url)?.certificatePem as string;
    const certificate = parseSigningCertificate(url, pem);
    expect(certificate.publicKey).toBeInstanceOf(KeyObject);
    expect(certificate.publicKey.asymmetricKeyType).toBe('rsa');
    expect(certificate.subject).toContain('CN=sns.amazonaws.com');
    expect(certificate.validFromMs).toBeLessThan(certificate.validToMs);
  });

  it('reads the documented validity period', () => {
    const url = urls.find((u) => u.includes('7506a1e3')) as string;
    const pem = vectors.find((v) => v.signingCertUrl === url)?.certificatePem as string;
    const certificate = parseSigningCertificate(url, pem);
    expect(new Date(certificate.validToMs).toISOString().slice(0, 10)).toBe('2026-10-14');
  });

  it.each([
    ['empty', ''],
    ['not PEM', 'hello'],
    ['a truncated certificate', (vectors[0]?.certificatePem ?? '').slice(0, 400)],
    [
      'a public key, not a certificate',
      generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    ],
  ])('refuses %s', (_, pem) => {
    expect(() => parseSigningCertificate('https://x/SimpleNotificationService-1.pem', pem)).toThrow(
      CertificateInvalidError,
    );
  });
});

describe('SigningCertificateCache', () => {
  it('fetches and parses each certificate once, then serves the cached key object', async () => {
    const fetcher = StubCertificateFetcher.forVectors();
    const cache = new SigningCertificateCache(fetcher);
    const first = await cache.get(firstUrl);
    for (let i = 0; i < 50; i += 1) expect(await cache.get(firstUrl)).toBe(first);
    expect(fetcher.calls).toEqual([firstUrl]);
    expect(cache.size).toBe(1);
  });

  it('shares one fetch between concurrent requests for the same URL', async () => {
    const fetcher = new ManualFetcher();
    const cache = new SigningCertificateCache(fetcher);
    const waiting = Array.from({ length: 20 }, () => cache.get(firstUrl));
    expect(fetcher.pending).toHaveLength(1);
    fetcher.pending[0]?.resolve(vectors.find((v) => v.signingCertUrl === firstUrl)?.certificatePem as string);
    const results = await Promise.all(waiting);
    expect(new Set(results).size).toBe(1);
  });

  it('evicts the least recently used certificate beyond its bound', async () => {
    const fetcher = StubCertificateFetcher.forVectors();
    const cache = new SigningCertificateCache(fetcher, { maxEntries: 2 });
    await cache.get(firstUrl);
    await cache.get(secondUrl);
    await cache.get(firstUrl); // first is now the most recently used
    await cache.get(thirdUrl); // evicts second
    expect(cache.size).toBe(2);
    await cache.get(firstUrl);
    expect(fetcher.calls).toEqual([firstUrl, secondUrl, thirdUrl]);
    await cache.get(secondUrl);
    expect(fetcher.calls).toEqual([firstUrl, secondUrl, thirdUrl, secondUrl]);
  });

  it('turns a failed fetch into CertificateUnavailableError and does not cache the failure', async () => {
    const fetcher = new ManualFetcher();
    const cache = new SigningCertificateCache(fetcher);
    const failing = cache.get(firstUrl);
    fetcher.pending[0]?.reject(new Error('connection reset'));
    await expect(failing).rejects.toBeInstanceOf(CertificateUnavailableError);
    await expect(failing).rejects.toMatchObject({ cause: { message: 'connection reset' } });

    const retry = cache.get(firstUrl);
    expect(fetcher.pending).toHaveLength(2);
    fetcher.pending[1]?.resolve(vectors.find((v) => v.signingCertUrl === firstUrl)?.certificatePem as string);
    await expect(retry).resolves.toMatchObject({ url: firstUrl });
  });

  it('gives up after the fetch timeout, aborting the signal it handed to the fetcher', async () => {
    const fetcher = new ManualFetcher();
    const cache = new SigningCertificateCache(fetcher, { fetchTimeoutMs: 20 });
    const started = Date.now();
    await expect(cache.get(firstUrl)).rejects.toBeInstanceOf(CertificateUnavailableError);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(fetcher.signals[0]?.aborted).toBe(true);
    // A later request tries again rather than waiting on the abandoned fetch.
    void cache.get(firstUrl).catch(() => undefined);
    expect(fetcher.pending).toHaveLength(2);
  });

  it('refuses a fetched body that is not a usable certificate, without caching it', async () => {
    const fetcher = new StubCertificateFetcher(new Map([[firstUrl, 'not a certificate']]));
    const cache = new SigningCertificateCache(fetcher);
    await expect(cache.get(firstUrl)).rejects.toBeInstanceOf(CertificateInvalidError);
    await expect(cache.get(firstUrl)).rejects.toBeInstanceOf(CertificateInvalidError);
    expect(fetcher.calls).toHaveLength(2);
    expect(cache.size).toBe(0);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses maxEntries %s', (maxEntries) => {
    expect(() => new SigningCertificateCache(StubCertificateFetcher.forVectors(), { maxEntries })).toThrow(
      /maxEntries/,
    );
  });
});
