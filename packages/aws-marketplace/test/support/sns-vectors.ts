// The real AWS-signed SNS messages and certificates in shared/vectors/sns (a sibling of the repository
// checkout, locally and in CI), and the test doubles that serve them without any network access.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CertificateFetcher, SigningCertificateCache } from '../../src/inbound/certificate-cache.js';
import { SnsMessageVerifier, type SnsMessageVerifierOptions } from '../../src/inbound/sns-verifier.js';

export interface SnsVector {
  /** File name, e.g. `notification-sv1-dotnet-sdk-crlf.json`. */
  readonly name: string;
  /** The body exactly as SNS delivered it. */
  readonly raw: string;
  /** The decoded JSON body (every field, signed or not). */
  readonly json: Readonly<Record<string, unknown>>;
  readonly type: string;
  readonly signatureVersion: string;
  readonly topicArn: string;
  readonly signingCertUrl: string;
  readonly timestampMs: number;
  /** PEM of the certificate named by the last path segment of SigningCertURL. */
  readonly certificatePem: string;
}

export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'pnpm-workspace.yaml'))) {
    const parent = path.dirname(dir);
    if (parent === dir)
      throw new Error('cannot find the repository root (no pnpm-workspace.yaml above the tests)');
    dir = parent;
  }
  return dir;
}

export function snsVectorsDir(): string {
  const dir = path.resolve(repoRoot(), '..', 'shared', 'vectors', 'sns');
  if (!existsSync(dir)) {
    throw new Error(
      `SNS test vectors not found at ${dir}. The shared/ folder must sit beside the repository checkout ` +
        '(../shared relative to the repo root), as it does on developer machines and in CI.',
    );
  }
  return dir;
}

let cached: readonly SnsVector[] | undefined;

export function loadSnsVectors(): readonly SnsVector[] {
  if (cached) return cached;
  const dir = snsVectorsDir();
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort();
  if (files.length === 0) throw new Error(`no SNS vectors (*.json) in ${dir}`);
  cached = files.map((name) => {
    const raw = readFileSync(path.join(dir, name), 'utf8');
    const json = JSON.parse(raw) as Record<string, unknown>;
    const signingCertUrl = String(json.SigningCertURL);
    const certFile = path.join(dir, path.posix.basename(new URL(signingCertUrl).pathname));
    if (!existsSync(certFile)) throw new Error(`vector ${name}: its certificate ${certFile} is missing`);
    return {
      name,
      raw,
      json,
      type: String(json.Type),
      signatureVersion: String(json.SignatureVersion),
      topicArn: String(json.TopicArn),
      signingCertUrl,
      timestampMs: Date.parse(String(json.Timestamp)),
      certificatePem: readFileSync(certFile, 'utf8'),
    };
  });
  return cached;
}

/** Serves the vectors' certificates by exact URL, and records every call it gets. */
export class StubCertificateFetcher implements CertificateFetcher {
  readonly calls: string[] = [];

  constructor(private readonly pems: ReadonlyMap<string, string>) {}

  static forVectors(vectors: readonly SnsVector[] = loadSnsVectors()): StubCertificateFetcher {
    return new StubCertificateFetcher(new Map(vectors.map((v) => [v.signingCertUrl, v.certificatePem])));
  }

  async fetch(url: string): Promise<string> {
    this.calls.push(url);
    const pem = this.pems.get(url);
    if (pem === undefined) throw new Error(`stub fetcher: no certificate for ${url}`);
    return pem;
  }
}

/** One minute after the vector was signed: inside every window, and inside its certificate's validity. */
export function clockFor(vector: SnsVector): () => number {
  return () => vector.timestampMs + 60_000;
}

/** A verifier for one vector: its topic allowed, the clock pinned near its Timestamp, a fresh cache. */
export function verifierFor(
  vector: SnsVector,
  overrides: Partial<SnsMessageVerifierOptions> = {},
  fetcher: CertificateFetcher = StubCertificateFetcher.forVectors(),
): SnsMessageVerifier {
  return new SnsMessageVerifier({
    allowedTopicArns: [vector.topicArn],
    certificates: new SigningCertificateCache(fetcher),
    now: clockFor(vector),
    ...overrides,
  });
}

/** The vector's body with some fields replaced (`undefined` removes one), re-serialised. */
export function withFields(vector: SnsVector, changes: Readonly<Record<string, unknown>>): string {
  const json: Record<string, unknown> = { ...vector.json };
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) delete json[key];
    else json[key] = value;
  }
  return JSON.stringify(json);
}
