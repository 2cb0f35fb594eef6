import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';

// A minimal DER writer: just enough ASN.1 for one self-signed X.509 v3 certificate, so that the simulator
// needs no certificate library (and no native build).
function der(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let length: Buffer;
  if (n < 0x80) length = Buffer.from([n]);
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
    length = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), length, content]);
}
const seq = (...items: Buffer[]) => der(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => der(0x31, Buffer.concat(items));
const int = (bytes: Buffer) => der(0x02, bytes[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
const nullValue = () => Buffer.from([0x05, 0x00]);
const utf8 = (s: string) => der(0x0c, Buffer.from(s, 'utf8'));
const bitString = (bytes: Buffer) => der(0x03, Buffer.concat([Buffer.from([0]), bytes]));
const explicit = (n: number, content: Buffer) => der(0xa0 + n, content);
const bool = (v: boolean) => der(0x01, Buffer.from([v ? 0xff : 0]));
const octets = (bytes: Buffer) => der(0x04, bytes);

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out = [parts[0]! * 40 + parts[1]!];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [p & 0x7f];
    for (let v = p >> 7; v > 0; v >>= 7) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return der(0x06, Buffer.from(out));
}

function time(d: Date): Buffer {
  const iso = d.toISOString();
  const compact = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  // RFC 5280: UTCTime through 2049, GeneralizedTime from 2050.
  return d.getUTCFullYear() < 2050
    ? der(0x17, Buffer.from(compact.slice(2)))
    : der(0x18, Buffer.from(compact));
}

const SHA256_WITH_RSA = '1.2.840.113549.1.1.11';
const COMMON_NAME = '2.5.4.3';
const ORGANIZATION = '2.5.4.10';
const BASIC_CONSTRAINTS = '2.5.29.19';

export interface SigningIdentity {
  privateKey: KeyObject;
  publicKey: KeyObject;
  certificatePem: string;
  /** Lower-case hex MD5 of the certificate: the `<id>` of `SimpleNotificationService-<id>.pem`. */
  certificateId: string;
}

/** A fresh RSA key and a self-signed certificate for it (CN=sns.amazonaws.com), valid from an hour ago for a year. */
export function generateSigningIdentity(keyBits: number, now = new Date()): SigningIdentity {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: keyBits });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const name = seq(
    set(seq(oid(ORGANIZATION), utf8('Billing Center AWS simulator'))),
    set(seq(oid(COMMON_NAME), utf8('sns.amazonaws.com'))),
  );
  const algorithm = seq(oid(SHA256_WITH_RSA), nullValue());
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f;
  const tbs = seq(
    explicit(0, int(Buffer.from([2]))),
    int(serial),
    algorithm,
    name,
    seq(time(new Date(now.getTime() - 3_600_000)), time(new Date(now.getTime() + 365 * 86_400_000))),
    name,
    spki,
    explicit(3, seq(seq(oid(BASIC_CONSTRAINTS), bool(true), octets(seq())))),
  );
  const signature = sign('sha256', tbs, privateKey);
  const certificate = seq(tbs, algorithm, bitString(signature));
  const base64 = certificate.toString('base64').replace(/(.{64})/g, '$1\n');
  const certificatePem = `-----BEGIN CERTIFICATE-----\n${base64.trimEnd()}\n-----END CERTIFICATE-----\n`;
  const certificateId = createHash('md5').update(certificate).digest('hex');
  return { privateKey, publicKey, certificatePem, certificateId };
}
