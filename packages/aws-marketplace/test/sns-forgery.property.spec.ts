// Generated forgeries of the real vectors: every one must be refused, and nothing may be fetched for a
// message whose certificate URL (or any earlier check) fails. Runs FC_NUM_RUNS cases per kind (default
// 1,000, so 12,000 in all).
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_SNS_BODY_BYTES } from '../src/inbound/sns-message.js';
import type { SnsRejectionCode } from '../src/inbound/sns-rejection.js';
import {
  loadSnsVectors,
  type SnsVector,
  StubCertificateFetcher,
  verifierFor,
  withFields,
} from './support/sns-vectors.js';

const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 1_000);
const vectors = loadSnsVectors();

/** One generated bad delivery and what must happen to it. */
interface Forgery {
  readonly vector: SnsVector;
  readonly body: string;
  readonly expected: readonly SnsRejectionCode[];
  /** The only URL the fetcher may be asked for; undefined when nothing may be fetched at all. */
  readonly fetchable?: string;
}

const vector = fc.constantFrom(...vectors);
const label = fc.stringMatching(/^[a-z0-9][a-z0-9-]{1,14}[a-z0-9]$/);
const hex = fc.stringMatching(/^[0-9a-f]{32}$/);
const region = fc.oneof(
  fc.constantFrom('us-east-1', 'us-east-2', 'us-west-2', 'eu-central-1', 'ap-southeast-1', 'us-gov-west-1'),
  fc.stringMatching(/^[a-z]{2}-[a-z]{4,9}-[1-9]$/).filter((r) => !r.startsWith('cn-')),
);
const chinaRegion = fc.constantFrom('cn-north-1', 'cn-northwest-1');
const pem = hex.map((h) => `/SimpleNotificationService-${h}.pem`);

/** A vector whose SigningCertURL (not covered by the signature) is replaced. */
function withCertificateUrl(url: fc.Arbitrary<string>): fc.Arbitrary<Forgery> {
  return fc.record({ vector, url }).map(({ vector, url }) => ({
    vector,
    body: withFields(vector, { SigningCertURL: url }),
    expected: ['sns-certificate-url-refused'],
  }));
}

const lookAlikeHost = fc
  .record({ region, label, port: fc.integer({ min: 1, max: 65_535 }), template: fc.nat(15) })
  .map(({ region: r, label: l, port, template }) => {
    const host = `sns.${r}.amazonaws.com`;
    return [
      `${host}.${l}.com`,
      `${host}.${l}`,
      `${l}${host}`,
      `${l}.${host}`,
      `sns.${r}.${l}.amazonaws.com`,
      `sns-${r}.amazonaws.com`,
      `sns.${r}.amazonaws.co`,
      `${host}.`,
      `${host}:${port}`,
      `${host}@${l}.com`,
      `${l}@${host}`,
      `sns.${r}.amazon${l}.com`,
      host.toUpperCase(),
      `${host}%2e${l}.com`,
      `${host}\\@${l}.com`,
      `sns.${r}.amazonaws\u3002com`,
    ][template] as string;
  });

const swappedHost = fc.oneof(
  fc
    .record({
      service: fc.constantFrom('sqs', 's3', 'ec2', 'sts', 'iam', 'lambda', 'execute-api', 'snss', 'ns'),
      region,
    })
    .map(({ service, region: r }) => `${service}.${r}.amazonaws.com`),
  region.map((r) => `sns.${r}.amazonaws.com.cn`),
  chinaRegion.map((r) => `sns.${r}.amazonaws.com`),
  fc.constantFrom(
    'sns.amazonaws.com',
    'amazonaws.com',
    'sns.aws.amazon.com',
    'sns.us-east-1.api.aws',
    'localhost',
  ),
);

const nonPemPath = fc.record({ hex, label, template: fc.nat(13) }).map(({ hex: h, label: l, template }) => {
  const name = `SimpleNotificationService-${h}`;
  return [
    `/${name}.pem.txt`,
    `/${name}.cer`,
    `/${name}.crt`,
    `/${name}.PEM`,
    `/${name}.pem/`,
    `/${name}.pem?${l}=1`,
    `/${name}.pem#${l}`,
    `/${l}/${name}.pem`,
    `/${l}.pem`,
    `/SimpleNotificationService.pem`,
    `/${name}%2epem`,
    `/${name}.pem%00`,
    `/${name}.pem/../${name}.pem`,
    `/simplenotificationservice-${h}.pem`,
  ][template] as string;
});

const s3Url = fc
  .record({ bucket: label, region, path: pem, template: fc.nat(4) })
  .map(
    ({ bucket, region: r, path, template }) =>
      [
        `https://s3.amazonaws.com/${bucket}${path}`,
        `https://${bucket}.s3.amazonaws.com${path}`,
        `https://${bucket}.s3.${r}.amazonaws.com${path}`,
        `https://s3.${r}.amazonaws.com/${bucket}${path}`,
        `https://s3-${r}.amazonaws.com/${bucket}${path}`,
      ][template] as string,
  );

const KINDS: Record<string, fc.Arbitrary<Forgery>> = {
  'byte-flipped signature': fc
    .record({ vector, index: fc.nat(255), mask: fc.integer({ min: 1, max: 255 }) })
    .map(({ vector, index, mask }) => {
      const signature = Buffer.from(String(vector.json.Signature), 'base64');
      signature[index % signature.length] = (signature[index % signature.length] as number) ^ mask;
      return {
        vector,
        body: withFields(vector, { Signature: signature.toString('base64') }),
        expected: ['sns-signature-invalid'],
        fetchable: vector.signingCertUrl,
      };
    }),

  // A genuine SNS certificate URL that is not the signer's: allowed to fetch, never to verify.
  'swapped genuine certificate': fc
    .record({ vector, other: vector })
    .filter(({ vector, other }) => vector.certificatePem !== other.certificatePem)
    .map(({ vector, other }) => ({
      vector,
      body: withFields(vector, { SigningCertURL: other.signingCertUrl }),
      expected: ['sns-signature-invalid', 'sns-certificate-invalid'],
      fetchable: other.signingCertUrl,
    })),

  'look-alike certificate host': withCertificateUrl(
    fc.tuple(lookAlikeHost, pem).map(([h, p]) => `https://${h}${p}`),
  ),
  'swapped certificate host': withCertificateUrl(
    fc.tuple(swappedHost, pem).map(([h, p]) => `https://${h}${p}`),
  ),
  'http: certificate URL': withCertificateUrl(
    fc
      .tuple(
        fc.oneof(
          region.map((r) => `sns.${r}.amazonaws.com`),
          chinaRegion.map((r) => `sns.${r}.amazonaws.com.cn`),
        ),
        pem,
      )
      .map(([h, p]) => `http://${h}${p}`),
  ),
  'non-.pem certificate path': withCertificateUrl(
    fc.tuple(region, nonPemPath).map(([r, p]) => `https://sns.${r}.amazonaws.com${p}`),
  ),
  'S3-hosted certificate': withCertificateUrl(s3Url),

  'unlisted TopicArn': fc
    .record({
      vector,
      arn: fc.oneof(
        fc
          .record({ region, account: fc.stringMatching(/^\d{12}$/), name: label })
          .map(({ region: r, account, name }) => `arn:aws:sns:${r}:${account}:${name}`),
        fc.record({ v: vector, suffix: label }).map(({ v, suffix }) => `${v.topicArn}${suffix}`),
        vector.map((v) => v.topicArn.toUpperCase()),
        vector.map((v) => `${v.topicArn.slice(0, -1)}*`),
        vector.map((v) => ` ${v.topicArn}`),
      ),
    })
    .filter(({ vector, arn }) => arn !== vector.topicArn)
    .map(({ vector, arn }) => ({
      vector,
      body: withFields(vector, { TopicArn: arn }),
      expected: ['sns-topic-not-allowed'],
    })),

  'unknown SignatureVersion': fc
    .record({
      vector,
      version: fc.oneof(
        fc.string({ minLength: 1, maxLength: 4 }).filter((v) => v !== '1' && v !== '2'),
        fc.constantFrom('0', '3', '10', '01', '1.0', 'v1', ' 1', '2 ', 'SHA256'),
      ),
    })
    .map(({ vector, version }) => ({
      vector,
      body: withFields(vector, { SignatureVersion: version }),
      expected: ['sns-unknown-signature-version'],
    })),

  'missing or mistyped fields': fc
    .record({
      vector,
      fields: fc.subarray(
        [
          'Type',
          'MessageId',
          'TopicArn',
          'Message',
          'Timestamp',
          'SignatureVersion',
          'Signature',
          'SigningCertURL',
        ],
        { minLength: 1 },
      ),
      replacement: fc.constantFrom(undefined, null, 0, 1, 2, true, [], {}, ['1']),
    })
    .map(({ vector, fields, replacement }) => ({
      vector,
      body: withFields(vector, Object.fromEntries(fields.map((f) => [f, replacement]))),
      expected: replacement === undefined ? ['sns-missing-field'] : ['sns-invalid-field'],
    })),

  'oversized body': fc
    .record({ vector, extra: fc.integer({ min: 1, max: 64 * 1024 }), garbage: fc.boolean() })
    .map(({ vector, extra, garbage }) => {
      const room = DEFAULT_MAX_SNS_BODY_BYTES - withFields(vector, { Message: '' }).length;
      const body = garbage
        ? '{'.repeat(DEFAULT_MAX_SNS_BODY_BYTES + extra)
        : withFields(vector, { Message: 'x'.repeat(room + extra) });
      return { vector, body, expected: ['sns-body-too-large'] };
    }),

  'garbage body': fc
    .record({
      vector,
      body: fc.oneof(
        fc.string(),
        fc.json(),
        fc.jsonValue().map((v) => JSON.stringify(v)),
      ),
    })
    .map(({ vector, body }) => ({
      vector,
      body,
      expected: ['sns-malformed', 'sns-missing-field', 'sns-invalid-field', 'sns-unknown-message-type'],
    })),
};

let casesRun = 0;

describe('generated forgeries of the real SNS vectors', () => {
  it.each(Object.entries(KINDS))('refuses every %s, fetching nothing it must not', async (_, forgery) => {
    await fc.assert(
      fc.asyncProperty(forgery, async ({ vector, body, expected, fetchable }) => {
        const fetcher = StubCertificateFetcher.forVectors();
        const result = await verifierFor(vector, {}, fetcher).verify(body);
        casesRun += 1;
        expect(result.ok).toBe(false);
        expect(expected).toContain(result.ok ? 'ok' : result.rejection.code);
        expect(fetcher.calls).toEqual(fetchable === undefined ? [] : [fetchable]);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  afterAll(() => {
    console.info(`generated forgeries refused: ${casesRun}`);
    if (process.env.FC_NUM_RUNS === undefined) expect(casesRun).toBeGreaterThanOrEqual(10_000);
  });
});
