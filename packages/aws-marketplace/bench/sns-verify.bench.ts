// SNS signature verification throughput with a warm certificate cache, on one core (the verifier runs on
// the main thread). Usage: pnpm bench:sns-verify [-- --rounds=9 --round-ms=400]
//
// Rates are per second of this process's CPU time, so that other work on a shared machine does not count
// against it; the RSA operation alone is measured in alternating rounds beside it, for scale.
import { verify } from 'node:crypto';
import { parseSigningCertificate } from '../src/inbound/certificate-cache.js';
import { parseSnsMessage } from '../src/inbound/sns-message.js';
import { buildStringToSign, SNS_SIGNATURE_DIGESTS } from '../src/inbound/sns-signature.js';
import { loadSnsVectors, type SnsVector, verifierFor } from '../test/support/sns-vectors.js';

const TARGET_PER_SECOND = 20_000;
const argument = (name: string, fallback: number) =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const rounds = argument('rounds', 9);
const roundMs = argument('round-ms', 400);

// The two current-format messages signed by the same (2025) certificate, one per signature version.
const SUBJECTS = {
  '1': 'notification-sv1-java-sdk-v2-subject.json',
  '2': 'notification-sv2-java-sdk-v2.json',
} as const;

function vectorNamed(name: string): SnsVector {
  const vector = loadSnsVectors().find((v) => v.name === name);
  if (!vector) throw new Error(`bench vector ${name} is missing`);
  return vector;
}

/** Operations per CPU-second over one round of about `roundMs`. */
async function round(run: () => Promise<boolean> | boolean): Promise<number> {
  let count = 0;
  const cpuStart = process.cpuUsage();
  const deadline = performance.now() + roundMs;
  while (performance.now() < deadline) {
    for (let i = 0; i < 100; i += 1) if (!(await run())) throw new Error('verification failed');
    count += 100;
  }
  const cpu = process.cpuUsage(cpuStart);
  return (count * 1e6) / (cpu.user + cpu.system);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

const format = (perSecond: number) => Math.round(perSecond).toLocaleString('en-US');

console.log(
  `SNS verification, warm certificate cache, one core: ${rounds} rounds of ${roundMs} ms (Node ${process.version})`,
);
let allMet = true;
for (const [version, name] of Object.entries(SUBJECTS)) {
  const vector = vectorNamed(name);
  const verifier = verifierFor(vector);
  const full = async () => (await verifier.verify(vector.raw)).ok;

  const parsed = parseSnsMessage(vector.raw);
  if (!parsed.ok) throw new Error(parsed.rejection.code);
  const key = parseSigningCertificate(vector.signingCertUrl, vector.certificatePem).publicKey;
  const data = Buffer.from(buildStringToSign(parsed.envelope));
  const signature = Buffer.from(parsed.envelope.Signature, 'base64');
  const digest = SNS_SIGNATURE_DIGESTS[parsed.envelope.SignatureVersion];
  const rsaOnly = () => verify(digest, data, key, signature);

  for (let i = 0; i < 3_000; i += 1) if (!((await full()) && rsaOnly())) throw new Error('warm-up failed');
  const fullRates: number[] = [];
  const rsaRates: number[] = [];
  for (let r = 0; r < rounds; r += 1) {
    fullRates.push(await round(full));
    rsaRates.push(await round(rsaOnly));
  }

  const met = median(fullRates) >= TARGET_PER_SECOND;
  allMet &&= met;
  console.log(
    `SignatureVersion ${version} (${digest === 'sha1' ? 'SHA1withRSA' : 'SHA256withRSA'}, ${name}):\n` +
      `  verifier.verify: median ${format(median(fullRates))}/s, best ${format(Math.max(...fullRates))}/s\n` +
      `  RSA verify alone: median ${format(median(rsaRates))}/s, best ${format(Math.max(...rsaRates))}/s\n` +
      `  target >= ${format(TARGET_PER_SECOND)} verifications/s on one core (median): ${met ? 'met' : 'NOT met'}`,
  );
}
console.log(allMet ? 'target met for v1 and v2' : 'target NOT met on this machine');
