// 300,000 metering records through AwsMeteringGateway (real AWS SDK, SigV4, JSON protocol, HTTP) to the
// local simulator with no rate limit and no faults. Prints records/s and the BatchMeterUsage calls made
// against the optimal count, ⌈n/25⌉ per product. Usage:
//   pnpm bench:metering-submit [-- --records=300000 --concurrency=8 --chunk=5000 --stub]
// --stub (or a checkout without apps/aws-simulator) uses an in-process stub endpoint instead.
import type { MeteringRecord, MeteringResult } from '@billing-center/core';
import { createAwsMarketplaceAdapters } from '../src/outbound/aws-marketplace-adapters.js';
import { meteringRecord } from '../test/support/metering-fixtures.js';
import {
  SIM_BUYERS,
  SIM_CHINA_PRODUCT,
  SIM_CREDENTIALS,
  SIM_GLOBAL_PRODUCT,
  type SimSubscription,
  simulatorAvailable,
  startSimulatorProcess,
} from '../test/support/simulator-process.js';
import { startBatchMeterUsageStub } from './batch-meter-usage-stub.js';

const TARGET_PER_SECOND = 5_000;
const HOUR = 3_600_000;
const argument = (name: string, fallback: number) =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const total = argument('records', 300_000);
const concurrency = argument('concurrency', 8);
const chunk = argument('chunk', 5_000);
const useStub = process.argv.includes('--stub') || !simulatorAvailable();

async function main(): Promise<void> {
  let url: string;
  let subscriptions: SimSubscription[];
  let serverCalls: () => Promise<number>;
  let close: () => Promise<void>;
  if (useStub) {
    const stub = await startBatchMeterUsageStub();
    url = stub.url;
    subscriptions = SIM_BUYERS.flatMap((buyer, i) => [
      stubSubscription(SIM_GLOBAL_PRODUCT, 'aws', buyer, i),
      stubSubscription(SIM_CHINA_PRODUCT, 'aws-cn', buyer, i),
    ]);
    serverCalls = async () => stub.calls;
    close = stub.close;
  } else {
    const sim = await startSimulatorProcess();
    url = sim.url;
    await sim.admin('DELETE', '/_admin/faults');
    subscriptions = [];
    for (const buyerAccountId of SIM_BUYERS) {
      for (const productCode of [SIM_GLOBAL_PRODUCT, SIM_CHINA_PRODUCT]) {
        subscriptions.push(await sim.admin('POST', '/_admin/subscriptions', { productCode, buyerAccountId }));
      }
    }
    await sim.admin('DELETE', '/_admin/calls');
    serverCalls = async () =>
      (await sim.admin<unknown[]>('GET', '/_admin/calls?target=AWSMPMeteringService.BatchMeterUsage')).length;
    close = sim.close;
  }

  const endpoints = { meteringEndpoint: url, entitlementEndpoint: url, staticCredentials: SIM_CREDENTIALS };
  const adapters = createAwsMarketplaceAdapters({
    partitions: { aws: endpoints, 'aws-cn': endpoints },
    metering: { callsPerSecond: null, concurrency },
  });
  const records = buildRecords(subscriptions, total);
  const perProduct = new Map<string, number>();
  for (const r of records) perProduct.set(r.productCode, (perProduct.get(r.productCode) ?? 0) + 1);
  const optimal = [...perProduct.values()].reduce((sum, n) => sum + Math.ceil(n / 25), 0);

  // One warm-up call per partition: connections and the SDK's lazy set-up are not what is measured.
  for (const sub of subscriptions.slice(0, 2)) {
    await adapters.meteringGateway.submit(buildRecords([sub], 1, 30));
  }
  adapters.meteringGateway.stats.calls = 0;
  const callsBefore = await serverCalls();

  const outcomes = new Map<string, number>();
  const started = performance.now();
  for (let i = 0; i < records.length; i += chunk) {
    const results: MeteringResult[] = await adapters.meteringGateway.submit(records.slice(i, i + chunk));
    for (const r of results) outcomes.set(r.outcome, (outcomes.get(r.outcome) ?? 0) + 1);
  }
  const seconds = (performance.now() - started) / 1000;
  const calls = adapters.meteringGateway.stats.calls;
  const received = (await serverCalls()) - callsBefore;
  adapters.close();
  await close();

  const perSecond = records.length / seconds;
  console.log(
    `metering-submit against ${useStub ? 'the in-process stub (simulator not used)' : `apps/aws-simulator at ${url}`}`,
  );
  console.log(
    `  records:        ${records.length.toLocaleString('en')} (${[...perProduct].map(([p, n]) => `${p}: ${n}`).join(', ')})`,
  );
  console.log(`  submit chunks:  ${chunk.toLocaleString('en')} records, ${concurrency} calls in flight`);
  console.log(`  time:           ${seconds.toFixed(2)} s`);
  console.log(
    `  throughput:     ${Math.round(perSecond).toLocaleString('en')} records/s (target ≥ ${TARGET_PER_SECOND.toLocaleString('en')})`,
  );
  console.log(
    `  calls:          ${calls.toLocaleString('en')} made, ${received.toLocaleString('en')} received, optimal ${optimal.toLocaleString('en')} (⌈n/25⌉ per product)`,
  );
  console.log(`  outcomes:       ${[...outcomes].map(([o, n]) => `${o} ${n}`).join(', ')}`);
  const ok = calls === optimal && received === optimal && outcomes.get('accepted') === records.length;
  if (!ok || perSecond < TARGET_PER_SECOND) {
    console.log(`  RESULT: ${ok ? 'below target' : 'calls or outcomes differ from the optimum'}`);
    process.exitCode = 1;
  } else {
    console.log('  RESULT: ok');
  }
}

/**
 * Records spread over the subscriptions, two dimensions and the last 20 hours. AWS (and the simulator)
 * keep the first record per (customer, dimension, hour) and accept an identical one again, so each key
 * always carries the same quantity: a record repeated in the stream is a legitimate resend.
 */
function buildRecords(subscriptions: SimSubscription[], n: number, offsetHours = 1): MeteringRecord[] {
  const top = Math.floor(Date.now() / HOUR) * HOUR;
  const dimensions = ['usage_cost', 'workspaces'];
  const out: MeteringRecord[] = [];
  for (let i = 0; i < n; i += 1) {
    const sub = subscriptions[i % subscriptions.length] as SimSubscription;
    const k = Math.floor(i / subscriptions.length);
    const dimension = dimensions[k % 2] as string;
    const hoursAgo = offsetHours + (Math.floor(k / 2) % 20);
    out.push(
      meteringRecord({
        id: `bench-${i}`,
        partition: sub.partition,
        productCode: sub.productCode,
        licenseArn: sub.licenseArn,
        customerAwsAccountId: sub.buyerAccountId,
        customerIdentifier: null,
        dimension,
        hour: new Date(top - hoursAgo * HOUR),
        quantity: 1_000 + hoursAgo * 2 + (k % 2),
        allocations: [
          { workspaceId: 'ws-a', quantity: 600 + hoursAgo * 2 + (k % 2) },
          { workspaceId: null, quantity: 400 },
        ],
      }),
    );
  }
  return out;
}

function stubSubscription(
  productCode: string,
  partition: 'aws' | 'aws-cn',
  buyerAccountId: string,
  i: number,
): SimSubscription {
  const arn = partition === 'aws-cn' ? 'arn:aws-cn' : 'arn:aws';
  return {
    id: `stub-${i}`,
    productCode,
    partition,
    buyerAccountId,
    customerIdentifier: `stub-customer-${i}`,
    licenseArn: `${arn}:license-manager::111122223333:license:l-${productCode.slice(0, 8)}${i}`,
  };
}

await main();
