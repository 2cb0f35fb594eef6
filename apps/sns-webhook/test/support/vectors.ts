// The real AWS-signed SNS messages and their certificates in shared/vectors/sns (a sibling of the
// repository checkout, locally and in CI), and documented marketplace payloads in shared/vectors/marketplace.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface SnsVector {
  readonly name: string;
  /** The body exactly as SNS delivered it. */
  readonly raw: string;
  readonly json: Readonly<Record<string, string>>;
  readonly type: string;
  readonly topicArn: string;
  readonly messageId: string;
  readonly signingCertUrl: string;
  readonly timestampMs: number;
  readonly certificatePem: string;
}

export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'pnpm-workspace.yaml'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the repository root (no pnpm-workspace.yaml above)');
    dir = parent;
  }
  return dir;
}

export function vectorsDir(kind: 'sns' | 'marketplace'): string {
  const dir = path.resolve(repoRoot(), '..', 'shared', 'vectors', kind);
  if (!existsSync(dir)) {
    throw new Error(
      `test vectors not found at ${dir}: the shared/ folder must sit beside the repository checkout`,
    );
  }
  return dir;
}

export function loadSnsVectors(): SnsVector[] {
  const dir = vectorsDir('sns');
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => {
      const raw = readFileSync(path.join(dir, name), 'utf8');
      const json = JSON.parse(raw) as Record<string, string>;
      const signingCertUrl = String(json.SigningCertURL);
      const certFile = path.join(dir, path.posix.basename(new URL(signingCertUrl).pathname));
      return {
        name,
        raw,
        json,
        type: String(json.Type),
        topicArn: String(json.TopicArn),
        messageId: String(json.MessageId),
        signingCertUrl,
        timestampMs: Date.parse(String(json.Timestamp)),
        certificatePem: readFileSync(certFile, 'utf8'),
      };
    });
}

/** A documented marketplace payload (`sns-subscription-subscribe-success.json`, `eventbridge-…`). */
export function marketplaceVector(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(vectorsDir('marketplace'), name), 'utf8')) as Record<
    string,
    unknown
  >;
}
