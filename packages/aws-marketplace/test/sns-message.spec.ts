import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_SNS_BODY_BYTES,
  parseSnsMessage,
  parseSnsTimestamp,
} from '../src/inbound/sns-message.js';
import type { SnsEnvelopeResult } from '../src/inbound/sns-rejection.js';
import { loadSnsVectors, type SnsVector, withFields } from './support/sns-vectors.js';

const vectors = loadSnsVectors();
const notification = vectors.find((v) => v.name === 'notification-sv1-java-sdk-v1-attrs.json') as SnsVector;
const confirmation = vectors.find((v) => v.type === 'SubscriptionConfirmation') as SnsVector;

function codeOf(result: SnsEnvelopeResult): string {
  return result.ok ? 'ok' : result.rejection.code;
}

describe('parseSnsMessage', () => {
  it.each(vectors.map((v) => [v.name, v]))('parses the real delivery %s', (_, vector) => {
    const result = parseSnsMessage(vector.raw);
    if (!result.ok) throw new Error(`${result.rejection.code}: ${result.rejection.detail}`);
    expect(result.envelope.Type).toBe(vector.type);
    expect(result.envelope.Signature).toBe(vector.json.Signature);
    expect(result.envelope.Message).toBe(vector.json.Message);
  });

  it('keeps control characters of Message exactly as decoded (the CRLF vector)', () => {
    const crlf = vectors.find((v) => v.name === 'notification-sv1-dotnet-sdk-crlf.json') as SnsVector;
    const result = parseSnsMessage(crlf.raw);
    expect(result.ok && result.envelope.Message).toBe('Hello\r\nworld!');
  });

  it('drops unsigned extras such as MessageAttributes', () => {
    const result = parseSnsMessage(notification.raw);
    expect(result.ok).toBe(true);
    expect(Object.keys(result.ok ? result.envelope : {}).sort()).toEqual(
      [
        'Message',
        'MessageId',
        'Signature',
        'SignatureVersion',
        'SigningCertURL',
        'Subject',
        'Timestamp',
        'TopicArn',
        'Type',
        'UnsubscribeURL',
      ].sort(),
    );
  });

  it('ignores a Subject on a confirmation, which SNS does not sign there', () => {
    const result = parseSnsMessage(withFields(confirmation, { Subject: 'forged' }));
    expect(result.ok && 'Subject' in result.envelope).toBe(false);
  });

  it.each([
    ['empty', ''],
    ['not JSON', 'Type=Notification'],
    ['truncated JSON', '{"Type":"Notification"'],
    ['an array', '[]'],
    ['null', 'null'],
    ['a string', '"Notification"'],
    ['a number', '42'],
  ])('refuses a body that is %s as sns-malformed', (_, body) => {
    expect(codeOf(parseSnsMessage(body))).toBe('sns-malformed');
  });

  it('refuses a body that is not a string at all', () => {
    expect(codeOf(parseSnsMessage(Buffer.from('{}') as unknown as string))).toBe('sns-malformed');
  });

  describe('size', () => {
    it('accepts a body of exactly the limit and refuses one byte more', () => {
      const base = withFields(notification, { Message: '' });
      const pad = (bytes: number) => withFields(notification, { Message: 'x'.repeat(bytes - base.length) });
      expect(codeOf(parseSnsMessage(pad(DEFAULT_MAX_SNS_BODY_BYTES)))).toBe('ok');
      expect(codeOf(parseSnsMessage(pad(DEFAULT_MAX_SNS_BODY_BYTES + 1)))).toBe('sns-body-too-large');
    });

    it('counts UTF-8 bytes, not characters', () => {
      const body = withFields(notification, { Message: 'é'.repeat(600) });
      expect(codeOf(parseSnsMessage(body, { maxBodyBytes: body.length + 10 }))).toBe('sns-body-too-large');
      expect(codeOf(parseSnsMessage(body, { maxBodyBytes: Buffer.byteLength(body) }))).toBe('ok');
    });

    it('checks the size before trying to parse', () => {
      expect(codeOf(parseSnsMessage('x'.repeat(11), { maxBodyBytes: 10 }))).toBe('sns-body-too-large');
    });
  });

  describe('fields', () => {
    const common = [
      'Type',
      'MessageId',
      'TopicArn',
      'Message',
      'Timestamp',
      'SignatureVersion',
      'Signature',
      'SigningCertURL',
    ];

    it.each(common)('refuses a Notification without %s', (field) => {
      const result = parseSnsMessage(withFields(notification, { [field]: undefined }));
      expect(result.ok ? undefined : [result.rejection.code, result.rejection.field]).toEqual([
        'sns-missing-field',
        field,
      ]);
    });

    it.each([
      ...common,
      'SubscribeURL',
      'Token',
    ])('refuses a SubscriptionConfirmation without %s', (field) => {
      const result = parseSnsMessage(withFields(confirmation, { [field]: undefined }));
      expect(codeOf(result)).toBe('sns-missing-field');
    });

    it('accepts a Notification without the optional Subject and UnsubscribeURL', () => {
      const body = withFields(notification, { Subject: undefined, UnsubscribeURL: undefined });
      expect(codeOf(parseSnsMessage(body))).toBe('ok');
    });

    const mistyped: [string, unknown][] = [
      ...common.flatMap((field): [string, unknown][] => [
        [field, 42],
        [field, null],
        [field, true],
        [field, ['x']],
        [field, { S: 'x' }],
      ]),
      ['Subject', 7],
      ['Subject', null],
      ['UnsubscribeURL', {}],
    ];
    it.each(mistyped)('refuses %s = %j as sns-invalid-field', (field, value) => {
      const result = parseSnsMessage(withFields(notification, { [field]: value }));
      expect(result.ok ? undefined : [result.rejection.code, result.rejection.field]).toEqual([
        'sns-invalid-field',
        field,
      ]);
    });

    it.each([
      'MessageId',
      'TopicArn',
      'Timestamp',
      'SignatureVersion',
      'Signature',
      'SigningCertURL',
    ])('refuses an empty %s', (field) => {
      expect(codeOf(parseSnsMessage(withFields(notification, { [field]: '' })))).toBe('sns-invalid-field');
    });

    it.each(['Notice', 'notification', 'SubscriptionConfirmation ', ''])('refuses Type %j', (type) => {
      expect(codeOf(parseSnsMessage(withFields(notification, { Type: type })))).toBe(
        'sns-unknown-message-type',
      );
    });

    it.each(['0', '3', '01', '1 ', '2.0', 'v2', '１'])('refuses SignatureVersion %j', (version) => {
      expect(codeOf(parseSnsMessage(withFields(notification, { SignatureVersion: version })))).toBe(
        'sns-unknown-signature-version',
      );
    });

    it.each([
      '2015-09-20 01:22:14.001Z',
      '2015-09-20T01:22:14.001',
      '2015-09-20T01:22:14.001+00:00',
      '2015-02-30T01:22:14.001Z',
      '2015-13-20T01:22:14.001Z',
      '2015-09-20T25:22:14.001Z',
      '1442712134001',
      'yesterday',
    ])('refuses Timestamp %j', (timestamp) => {
      expect(codeOf(parseSnsMessage(withFields(notification, { Timestamp: timestamp })))).toBe(
        'sns-invalid-field',
      );
    });

    it('refuses a Signature that only decodes to the right bytes (non-canonical base64)', () => {
      const signature = String(notification.json.Signature);
      expect(signature.endsWith('==')).toBe(true);
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
      // Before `==` the last character carries 2 signature bits and 4 spare bits: flipping a spare bit
      // leaves the decoded signature unchanged.
      const last = alphabet.indexOf(signature.at(-3) as string);
      const spareBitFlipped = `${signature.slice(0, -3)}${alphabet[last ^ 1]}==`;
      const variants = [
        spareBitFlipped,
        `${signature.slice(0, 100)}\n${signature.slice(100)}`,
        signature.replaceAll('+', '-').replaceAll('/', '_'),
        signature.replace(/=+$/, ''),
      ];
      for (const variant of variants) {
        expect(Buffer.from(variant, 'base64')).toEqual(Buffer.from(signature, 'base64'));
        expect(codeOf(parseSnsMessage(withFields(notification, { Signature: variant })))).toBe(
          'sns-invalid-field',
        );
      }
    });

    it.each([
      ['//8=', true],
      ['//9=', false],
      ['/w==', true],
      ['/x==', false],
      ['AAAA', true],
      ['AAA', false],
      ['AA=A', false],
      ['AA==AAAA', false],
      ['A===', false],
    ] as const)('accepts Signature %j only if it is canonical base64 (%s)', (signature, canonical) => {
      expect(Buffer.from(signature, 'base64').toString('base64') === signature).toBe(canonical);
      const code = codeOf(parseSnsMessage(withFields(notification, { Signature: signature })));
      expect(code).toBe(canonical ? 'ok' : 'sns-invalid-field');
    });

    it.each([
      ['2016-02-29T00:00:00.000Z', true],
      ['2000-02-29T23:59:59.999Z', true],
      ['2015-02-29T00:00:00.000Z', false],
      ['1900-02-29T00:00:00.000Z', false],
      ['2015-04-31T00:00:00.000Z', false],
      ['2015-12-31T23:59:59Z', true],
      ['2015-12-31T23:59:60Z', false],
      ['2015-12-00T00:00:00Z', false],
      ['2015-00-10T00:00:00Z', false],
    ] as const)('reads Timestamp %j as a real calendar time: %s', (timestamp, valid) => {
      const code = codeOf(parseSnsMessage(withFields(notification, { Timestamp: timestamp })));
      expect(code).toBe(valid ? 'ok' : 'sns-invalid-field');
    });

    it('reports the first problem in a fixed order: fields before SignatureVersion', () => {
      const body = withFields(notification, { SignatureVersion: '9', MessageId: undefined });
      expect(codeOf(parseSnsMessage(body))).toBe('sns-missing-field');
    });
  });
});

describe('parseSnsTimestamp', () => {
  it('reads every ISO-8601 UTC time as Date does', () => {
    const date = fc.date({
      min: new Date('1970-01-01T00:00:00Z'),
      max: new Date('9999-12-31T23:59:59Z'),
      noInvalidDate: true,
    });
    fc.assert(
      fc.property(date, (d) => {
        expect(parseSnsTimestamp(d.toISOString())).toBe(d.getTime());
        expect(parseSnsTimestamp(d.toISOString().replace(/\.\d+Z$/, 'Z'))).toBe(
          Math.floor(d.getTime() / 1000) * 1000,
        );
      }),
      { numRuns: 2_000 },
    );
  });

  it.each([
    ['2015-09-20T01:22:14.1Z', Date.parse('2015-09-20T01:22:14.100Z')],
    ['2015-09-20T01:22:14.12Z', Date.parse('2015-09-20T01:22:14.120Z')],
    ['2015-09-20T01:22:14.123456789Z', Date.parse('2015-09-20T01:22:14.123Z')],
  ])('reads the fraction of %s', (value, expected) => {
    expect(parseSnsTimestamp(value)).toBe(expected);
  });
});
