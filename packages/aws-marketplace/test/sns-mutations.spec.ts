// One-character mutations of every real vector: each signed field at every position, and every bit of
// every signature byte, must make verification fail.
import { constants, createHash, type KeyObject, publicDecrypt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseSigningCertificate } from '../src/inbound/certificate-cache.js';
import { parseSnsMessage, type SnsEnvelope } from '../src/inbound/sns-message.js';
import {
  buildStringToSign,
  SNS_SIGNATURE_DIGESTS,
  signedFields,
  verifySnsSignature,
} from '../src/inbound/sns-signature.js';
import type { SnsMessageVerifier } from '../src/inbound/sns-verifier.js';
import { loadSnsVectors, type SnsVector, verifierFor } from './support/sns-vectors.js';

const vectors = loadSnsVectors();

interface Subject {
  readonly vector: SnsVector;
  readonly envelope: SnsEnvelope;
  readonly key: KeyObject;
  readonly verifier: SnsMessageVerifier;
}

function subjectOf(vector: SnsVector): Subject {
  const parsed = parseSnsMessage(vector.raw);
  if (!parsed.ok) throw new Error(`${vector.name}: ${parsed.rejection.code}`);
  const key = parseSigningCertificate(vector.signingCertUrl, vector.certificatePem).publicKey;
  return { vector, envelope: parsed.envelope, key, verifier: verifierFor(vector) };
}

/** A small deterministic PRNG (mulberry32), so that every run tries the same replacements. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function replaceAt(value: string, index: number, code: number): string {
  return `${value.slice(0, index)}${String.fromCharCode(code)}${value.slice(index + 1)}`;
}

/** Replacement codes tried through the real verifier at each position: two bit flips and two random bytes. */
function sampledReplacements(code: number, random: () => number): number[] {
  const picks = new Set([code ^ 0x01, code ^ 0x20]);
  while (picks.size < 4) {
    const candidate = Math.floor(random() * 256);
    if (candidate !== code) picks.add(candidate);
  }
  return [...picks];
}

/** The digest that the signature commits to, recovered from it with the public key (PKCS#1 v1.5). */
function signedDigest(subject: Subject): Buffer {
  const digestInfo = publicDecrypt(
    { key: subject.key, padding: constants.RSA_PKCS1_PADDING },
    Buffer.from(subject.envelope.Signature, 'base64'),
  );
  const length = subject.envelope.SignatureVersion === '1' ? 20 : 32;
  return digestInfo.subarray(digestInfo.length - length);
}

function digestOf(envelope: SnsEnvelope): Buffer {
  return createHash(SNS_SIGNATURE_DIGESTS[envelope.SignatureVersion])
    .update(buildStringToSign(envelope))
    .digest();
}

describe.each(vectors.map((v) => [v.name, v] as const))('one-character mutations of %s', (_, vector) => {
  const subject = subjectOf(vector);
  const fieldValues = subject.envelope as unknown as Readonly<Record<string, string>>;

  it('verifies unchanged (the baseline the mutations start from)', async () => {
    expect(verifySnsSignature(subject.envelope, subject.key)).toBe(true);
    expect((await subject.verifier.verify(vector.raw)).ok).toBe(true);
    expect(digestOf(subject.envelope)).toEqual(signedDigest(subject));
  });

  it('fails at every position of every signed field (sampled replacements, real verifier)', async () => {
    const random = prng(0x5e5 + vector.name.length);
    let tried = 0;
    for (const field of signedFields(subject.envelope)) {
      const value = fieldValues[field] as string;
      for (let index = 0; index < value.length; index += 1) {
        for (const code of sampledReplacements(value.charCodeAt(index), random)) {
          const changed = replaceAt(value, index, code);
          const mutated = { ...subject.envelope, [field]: changed } as SnsEnvelope;
          if (verifySnsSignature(mutated, subject.key))
            throw new Error(`${field}[${index}] = ${code} verified`);
          const result = await subject.verifier.verify(JSON.stringify({ ...vector.json, [field]: changed }));
          if (result.ok) throw new Error(`${field}[${index}] = ${code} passed the verifier`);
          tried += 1;
        }
      }
    }
    expect(tried).toBeGreaterThan(0);
  });

  it('changes the signed digest for all 255 other character codes at every position of every signed field', () => {
    // Exhaustive (about 1.1 million cases), so compared against the digest recovered from the signature once
    // rather than paying a full RSA verification each time.
    const expected = signedDigest(subject);
    const algorithm = SNS_SIGNATURE_DIGESTS[subject.envelope.SignatureVersion];
    const text = buildStringToSign(subject.envelope);
    let cursor = 0;
    for (const field of signedFields(subject.envelope)) {
      const value = fieldValues[field] as string;
      const offset = cursor + field.length + 1;
      expect(text.slice(cursor, offset + value.length + 1)).toBe(`${field}\n${value}\n`);
      cursor = offset + value.length + 1;
      for (let index = 0; index < value.length; index += 1) {
        const before = text.slice(0, offset + index);
        const after = text.slice(offset + index + 1);
        const original = value.charCodeAt(index);
        for (let code = 0; code < 256; code += 1) {
          if (code === original) continue;
          const digest = createHash(algorithm)
            .update(before)
            .update(String.fromCharCode(code))
            .update(after)
            .digest();
          if (digest.equals(expected)) throw new Error(`${field}[${index}] = ${code} kept the digest`);
        }
      }
    }
    expect(cursor).toBe(text.length);
  });

  it('fails for every single-bit flip of every signature byte', () => {
    const signature = Buffer.from(subject.envelope.Signature, 'base64');
    for (let index = 0; index < signature.length; index += 1) {
      for (let bit = 0; bit < 8; bit += 1) {
        const flipped = Buffer.from(signature);
        flipped[index] = (flipped[index] as number) ^ (1 << bit);
        const mutated = { ...subject.envelope, Signature: flipped.toString('base64') };
        if (verifySnsSignature(mutated, subject.key))
          throw new Error(`signature byte ${index} bit ${bit} verified`);
      }
    }
  });

  it('refuses every one-character change of the Signature text', async () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=';
    const text = subject.envelope.Signature;
    for (let index = 0; index < text.length; index += 1) {
      const current = alphabet.indexOf(text[index] as string);
      for (const replacement of [alphabet[(current + 1) % alphabet.length], '-', ' ']) {
        const Signature = `${text.slice(0, index)}${replacement}${text.slice(index + 1)}`;
        const result = await subject.verifier.verify(JSON.stringify({ ...vector.json, Signature }));
        if (result.ok) throw new Error(`Signature[${index}] = ${replacement} passed the verifier`);
        expect(['sns-invalid-field', 'sns-signature-invalid']).toContain(result.rejection.code);
      }
    }
  });
});
