import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CertificateUrlPolicy } from '../src/inbound/certificate-url-policy.js';
import { loadSnsVectors } from './support/sns-vectors.js';

const production = new CertificateUrlPolicy();
const PEM = '/SimpleNotificationService-7506a1e35b36ef5a444dd1a8e7cc3ed8.pem';

describe('CertificateUrlPolicy (production)', () => {
  it.each(loadSnsVectors().map((v) => v.signingCertUrl))('accepts the real certificate URL %s', (url) => {
    expect(production.check(url)).toEqual({ ok: true, url });
  });

  it.each([
    `https://sns.us-east-1.amazonaws.com${PEM}`,
    `https://sns.eu-central-1.amazonaws.com${PEM}`,
    `https://sns.ap-southeast-2.amazonaws.com${PEM}`,
    `https://sns.us-gov-west-1.amazonaws.com${PEM}`,
    `https://sns.cn-northwest-1.amazonaws.com.cn${PEM}`,
    `https://sns.cn-north-1.amazonaws.com.cn${PEM}`,
    'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-Abc123.pem',
  ])('accepts %s', (url) => {
    expect(production.check(url).ok).toBe(true);
  });

  it.each([
    // look-alike and foreign hosts
    `https://sns.us-east-1.amazonaws.com.evil.com${PEM}`,
    `https://evilsns.us-east-1.amazonaws.com${PEM}`,
    `https://evil.sns.us-east-1.amazonaws.com${PEM}`,
    `https://sns.us-east-1.evil.amazonaws.com${PEM}`,
    `https://sns-us-east-1.amazonaws.com${PEM}`,
    `https://sns.us-east-1.amazonaws.co${PEM}`,
    `https://sns.us-east-1.amazonaws.com.${PEM}`,
    `https://sns.us-east-1.amazonaws.cn${PEM}`,
    `https://sns.amazonaws.com${PEM}`,
    `https://sns..amazonaws.com${PEM}`,
    `https://sns.us_east_1.amazonaws.com${PEM}`,
    `https://sns.useast1.amazonaws.com${PEM}`,
    `https://sns.us-east-1.amazonaws.com.cn${PEM}`,
    `https://sns.cn-northwest-1.amazonaws.com${PEM}`,
    `https://SNS.US-EAST-1.AMAZONAWS.COM${PEM}`,
    `https://sns.us-east-1.amazonaws.xn--com-9o0a${PEM}`,
    `https://sns.us-east-1.amazonaws.com\uff0eevil.com${PEM}`,
    `https://sqs.us-east-1.amazonaws.com${PEM}`,
    // S3 and other AWS-hosted storage
    `https://s3.amazonaws.com/my-bucket${PEM}`,
    `https://my-bucket.s3.amazonaws.com${PEM}`,
    `https://my-bucket.s3.us-east-1.amazonaws.com${PEM}`,
    `https://s3.us-east-1.amazonaws.com/sns.us-east-1.amazonaws.com${PEM}`,
    // scheme, userinfo, port
    `http://sns.us-east-1.amazonaws.com${PEM}`,
    `HTTPS://sns.us-east-1.amazonaws.com${PEM}`,
    `ftp://sns.us-east-1.amazonaws.com${PEM}`,
    `//sns.us-east-1.amazonaws.com${PEM}`,
    `https:/sns.us-east-1.amazonaws.com${PEM}`,
    `https://user@sns.us-east-1.amazonaws.com${PEM}`,
    `https://sns.us-east-1.amazonaws.com@evil.com${PEM}`,
    `https://sns.us-east-1.amazonaws.com:443${PEM}`,
    `https://sns.us-east-1.amazonaws.com:8443${PEM}`,
    // path, query, fragment
    'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-7506a1e3.pem.txt',
    'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-7506a1e3.cer',
    'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-7506a1e3.pem/',
    'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-.pem',
    'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-../x.pem',
    'https://sns.us-east-1.amazonaws.com/x/SimpleNotificationService-7506a1e3.pem',
    'https://sns.us-east-1.amazonaws.com//SimpleNotificationService-7506a1e3.pem',
    'https://sns.us-east-1.amazonaws.com/simplenotificationservice-7506a1e3.pem',
    'https://sns.us-east-1.amazonaws.com/Other-7506a1e3.pem',
    'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-7506a1e3.pem?x=1',
    'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-7506a1e3.pem?',
    'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-7506a1e3.pem#frag',
    'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-7506a1e3.pem\n',
    ' https://sns.us-east-1.amazonaws.com/SimpleNotificationService-7506a1e3.pem',
    // encoded tricks
    'https://sns.us-east-1.amazonaws.com/%53impleNotificationService-7506a1e3.pem',
    'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-7506a1e3%2epem',
    'https://sns.us-east-1.amazonaws.com%2f@evil.com/SimpleNotificationService-7506a1e3.pem',
    'https://sns%2eus-east-1.amazonaws.com/SimpleNotificationService-7506a1e3.pem',
    'https://sns.us-east-1.amazonaws.com\\@evil.com/SimpleNotificationService-7506a1e3.pem',
    'https://sns.us-east-1.amazonaws.com\\SimpleNotificationService-7506a1e3.pem',
    'https://sns.us-east-1.amazon\taws.com/SimpleNotificationService-7506a1e3.pem',
    'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-7506a1e3.pem%00',
    'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-7506a1e3.pem\u0000',
    // local simulators are not trusted by default
    'http://127.0.0.1:4566/SimpleNotificationService-7506a1e3.pem',
    'http://localhost:4566/SimpleNotificationService-7506a1e3.pem',
    // garbage
    '',
    'SimpleNotificationService-7506a1e3.pem',
    `https://sns.us-east-1.amazonaws.com/SimpleNotificationService-${'a'.repeat(600)}.pem`,
  ])('refuses %j', (url) => {
    expect(production.check(url).ok).toBe(false);
  });
});

describe('CertificateUrlPolicy accepts only what URL parsing leaves unchanged', () => {
  it('every accepted URL is already canonical, so the fetched URL is the checked one', () => {
    const accepted = fc
      .record({
        region: fc.stringMatching(/^[a-z]{2}(?:-[a-z]{1,10}){1,3}-\d{1,2}$/),
        name: fc.stringMatching(/^[A-Za-z0-9]{1,128}$/),
      })
      .map(({ region, name }) => {
        const suffix = region.startsWith('cn-') ? '.cn' : '';
        return `https://sns.${region}.amazonaws.com${suffix}/SimpleNotificationService-${name}.pem`;
      });
    fc.assert(
      fc.property(accepted, (url) => {
        expect(production.check(url)).toEqual({ ok: true, url });
        const parsed = new URL(url);
        expect(parsed.href).toBe(url);
        expect(parsed.host).toMatch(/^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/);
        expect([parsed.username, parsed.password, parsed.port, parsed.search, parsed.hash]).toEqual([
          '',
          '',
          '',
          '',
          '',
        ]);
      }),
      { numRuns: 2_000 },
    );
  });

  it('refuses a real URL with any punctuation, control or non-ASCII character inserted anywhere', () => {
    const base = `https://sns.us-east-1.amazonaws.com${PEM}`;
    const inserted = fc.record({
      at: fc.nat(base.length),
      text: fc.string({ minLength: 1, maxLength: 3, unit: 'binary' }).filter((t) => /[^A-Za-z0-9-]/.test(t)),
    });
    fc.assert(
      fc.property(inserted, ({ at, text }) => {
        expect(production.check(`${base.slice(0, at)}${text}${base.slice(at)}`).ok).toBe(false);
      }),
      { numRuns: 3_000 },
    );
  });
});

describe('CertificateUrlPolicy with a trusted local simulator', () => {
  const policy = new CertificateUrlPolicy({ trustedLocalCertificateOrigins: ['http://127.0.0.1:4566'] });

  it.each([
    'http://127.0.0.1:4566/SimpleNotificationService-6c6f63616c.pem',
    'http://127.0.0.1:4566/_aws/sns/SimpleNotificationService-6c6f63616c.pem',
    `https://sns.us-east-1.amazonaws.com${PEM}`,
  ])('accepts %s', (url) => {
    expect(policy.check(url)).toEqual({ ok: true, url });
  });

  it.each([
    'http://127.0.0.1:4567/SimpleNotificationService-6c6f63616c.pem',
    'https://127.0.0.1:4566/SimpleNotificationService-6c6f63616c.pem',
    'http://localhost:4566/SimpleNotificationService-6c6f63616c.pem',
    'http://127.0.0.1/SimpleNotificationService-6c6f63616c.pem',
    'http://u:p@127.0.0.1:4566/SimpleNotificationService-6c6f63616c.pem',
    'http://127.0.0.1:4566/SimpleNotificationService-6c6f63616c.pem?x',
    'http://127.0.0.1:4566/SimpleNotificationService-6c6f63616c.pem#x',
    'http://127.0.0.1:4566/anything.pem',
    'http://127.0.0.1:4566/a/../SimpleNotificationService-6c6f63616c.pem',
    'http://127.0.0.1:4566/%2e%2e/SimpleNotificationService-6c6f63616c.pem',
    'http://127.0.0.1:4566/.hidden/SimpleNotificationService-6c6f63616c.pem',
    'http://127.0.0.1:4566\\SimpleNotificationService-6c6f63616c.pem',
    'HTTP://127.0.0.1:4566/SimpleNotificationService-6c6f63616c.pem',
  ])('still refuses %j', (url) => {
    expect(policy.check(url).ok).toBe(false);
  });

  it.each([
    'http://127.0.0.1:4566/path',
    'http://user@127.0.0.1:4566',
    'http://127.0.0.1:4566?x',
    'file:///tmp',
    'javascript:alert(1)',
    '127.0.0.1:4566',
    'http://127.0.0.1:04566',
    '',
  ])('refuses to be configured with %j', (origin) => {
    expect(() => new CertificateUrlPolicy({ trustedLocalCertificateOrigins: [origin] })).toThrow(
      /bare origin/,
    );
  });

  it('accepts a configured origin written with a trailing slash', () => {
    const slash = new CertificateUrlPolicy({
      trustedLocalCertificateOrigins: ['http://aws-simulator:4566/'],
    });
    expect(slash.check('http://aws-simulator:4566/SimpleNotificationService-1.pem').ok).toBe(true);
  });
});
