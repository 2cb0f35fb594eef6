// Signs strings with the test key in a worker thread: RSA-2048 signing takes about a millisecond, and the
// benchmark needs tens of thousands of distinct signed messages before it starts.
import { createPrivateKey, sign } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';

const key = createPrivateKey(workerData.keyPem);
const signatures = workerData.strings.map((text) =>
  sign(workerData.digest, Buffer.from(text, 'utf8'), key).toString('base64'),
);
parentPort.postMessage(signatures);
