import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpsCertificateFetcher } from '../src/inbound/https-certificate-fetcher.js';
import { loadSnsVectors } from './support/sns-vectors.js';

const pem = loadSnsVectors()[0]?.certificatePem as string;
const URL_ = 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem';

/** A fetch double: answers with `response` and keeps what it was asked. */
function fakeFetch(response: () => Response) {
  const requests: { url: string; init: RequestInit | undefined }[] = [];
  const impl = (async (input: string | URL | Request, init?: RequestInit) => {
    requests.push({ url: String(input), init });
    return response();
  }) as typeof globalThis.fetch;
  return { impl, requests };
}

function streamOf(chunks: number, chunkBytes: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent === chunks) controller.close();
      else {
        sent += 1;
        controller.enqueue(new Uint8Array(chunkBytes).fill(65));
      }
    },
  });
}

describe('HttpsCertificateFetcher', () => {
  it('GETs the URL without following redirects and returns the PEM', async () => {
    const { impl, requests } = fakeFetch(() => new Response(pem));
    await expect(new HttpsCertificateFetcher({ fetch: impl }).fetch(URL_)).resolves.toBe(pem);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.url).toBe(URL_);
    expect(requests[0]?.init).toMatchObject({ method: 'GET', redirect: 'error' });
    expect(requests[0]?.init?.signal).toBeInstanceOf(AbortSignal);
  });

  it.each([
    'http://sns.us-east-1.amazonaws.com/x.pem',
    'file:///etc/passwd',
    'ftp://sns.us-east-1.amazonaws.com/x.pem',
  ])('refuses to fetch %s', async (url) => {
    const { impl, requests } = fakeFetch(() => new Response(pem));
    await expect(new HttpsCertificateFetcher({ fetch: impl }).fetch(url)).rejects.toThrow(/refusing/);
    expect(requests).toHaveLength(0);
  });

  it('fetches http: only when told to (trusted local simulator)', async () => {
    const { impl } = fakeFetch(() => new Response(pem));
    const fetcher = new HttpsCertificateFetcher({ fetch: impl, allowHttp: true });
    await expect(fetcher.fetch('http://127.0.0.1:4566/SimpleNotificationService-1.pem')).resolves.toBe(pem);
  });

  it.each([301, 302, 404, 500, 204])('refuses an HTTP %s answer', async (status) => {
    const { impl } = fakeFetch(() => new Response(status === 204 ? null : 'x', { status }));
    await expect(new HttpsCertificateFetcher({ fetch: impl }).fetch(URL_)).rejects.toThrow(`HTTP ${status}`);
  });

  it('refuses a body whose declared length is over the cap', async () => {
    const { impl } = fakeFetch(() => new Response(pem, { headers: { 'content-length': '999999' } }));
    const fetcher = new HttpsCertificateFetcher({ fetch: impl, maxCertificateBytes: 4096 });
    await expect(fetcher.fetch(URL_)).rejects.toThrow(/larger than 4096/);
  });

  it('stops reading an undeclared body as soon as it passes the cap', async () => {
    const body = streamOf(1_000_000, 1024);
    const { impl } = fakeFetch(() => new Response(body));
    const fetcher = new HttpsCertificateFetcher({ fetch: impl, maxCertificateBytes: 16 * 1024 });
    await expect(fetcher.fetch(URL_)).rejects.toThrow(/larger than 16384/);
  });

  it.each([
    ['text that is not PEM', new TextEncoder().encode('<html>hello</html>')],
    ['bytes that are not UTF-8', new Uint8Array([0xff, 0xfe, 0xfd])],
  ])('refuses %s', async (_, bytes) => {
    const { impl } = fakeFetch(() => new Response(bytes));
    await expect(new HttpsCertificateFetcher({ fetch: impl }).fetch(URL_)).rejects.toThrow();
  });

  it('aborts a request that outlives its timeout', async () => {
    const impl = ((_: unknown, init?: RequestInit) =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      })) as typeof globalThis.fetch;
    const fetcher = new HttpsCertificateFetcher({ fetch: impl, timeoutMs: 20 });
    await expect(fetcher.fetch(URL_)).rejects.toThrow(/timeout|aborted/i);
  });

  it("also aborts when the caller's signal fires", async () => {
    let seen: AbortSignal | undefined;
    const impl = ((_: unknown, init?: RequestInit) => {
      seen = init?.signal ?? undefined;
      return new Promise(() => undefined);
    }) as typeof globalThis.fetch;
    const controller = new AbortController();
    void new HttpsCertificateFetcher({ fetch: impl })
      .fetch(URL_, { signal: controller.signal })
      .catch(() => {});
    controller.abort();
    expect(seen?.aborted).toBe(true);
  });
});

describe('HttpsCertificateFetcher with the real fetch (loopback server only)', () => {
  let server: Server;
  let origin: string;
  const hits: string[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      hits.push(request.url ?? '');
      if (request.url === '/redirect/SimpleNotificationService-1.pem') {
        response.writeHead(302, { location: '/elsewhere.pem' }).end();
      } else if (request.url === '/huge/SimpleNotificationService-1.pem') {
        response.writeHead(200);
        const chunk = Buffer.alloc(64 * 1024, 65);
        const write = () => {
          while (response.write(chunk)) if (response.writableLength > 1 << 22) break;
        };
        write();
        response.on('drain', write);
        response.on('close', () => response.off('drain', write));
      } else {
        response.writeHead(200, { 'content-type': 'application/x-pem-file' }).end(pem);
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const fetcher = () => new HttpsCertificateFetcher({ allowHttp: true, timeoutMs: 5_000 });

  it('reads a certificate', async () => {
    await expect(fetcher().fetch(`${origin}/SimpleNotificationService-1.pem`)).resolves.toBe(pem);
  });

  it('does not follow a redirect', async () => {
    hits.length = 0;
    await expect(fetcher().fetch(`${origin}/redirect/SimpleNotificationService-1.pem`)).rejects.toThrow();
    expect(hits).toEqual(['/redirect/SimpleNotificationService-1.pem']);
  });

  it('stops reading an endless body at the size cap', async () => {
    await expect(fetcher().fetch(`${origin}/huge/SimpleNotificationService-1.pem`)).rejects.toThrow(
      /larger than/,
    );
  });
});
