// A minimal in-process BatchMeterUsage endpoint on AWS's JSON 1.1 protocol (X-Amz-Target
// AWSMPMeteringService.BatchMeterUsage), for the bench when apps/aws-simulator is not there (or with
// --stub). It accepts every record and checks nothing but the 25-record limit: it measures the adapter.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StubServer {
  url: string;
  calls: number;
  close(): Promise<void>;
}

export async function startBatchMeterUsageStub(): Promise<StubServer> {
  let seq = 0;
  const state = { calls: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(body));
      };
      if (req.headers['x-amz-target'] !== 'AWSMPMeteringService.BatchMeterUsage') {
        return answer(400, { __type: 'UnknownOperationException', message: 'only BatchMeterUsage' });
      }
      state.calls += 1;
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { UsageRecords?: unknown[] };
      const records = input.UsageRecords ?? [];
      if (records.length > 25)
        return answer(400, { __type: 'ValidationException', message: 'max 25 records' });
      answer(200, {
        Results: records.map((UsageRecord) => ({
          UsageRecord,
          MeteringRecordId: `stub-${++seq}`,
          Status: 'Success',
        })),
        UnprocessedRecords: [],
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get calls() {
      return state.calls;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
