// Issue, list or revoke the observability platform's service keys:
//   pnpm --filter @billing-center/api service-key issue --name platform-ingest --scope usage:write
//   pnpm --filter @billing-center/api service-key list
//   pnpm --filter @billing-center/api service-key revoke <keyId>
// It reads the same environment as the API server (DATABASE_URL, MARKETPLACE_PRODUCTS, ...).
import { isDomainError } from '@billing-center/core';
import { type Runtime, RuntimeToken } from '@billing-center/runtime';
import { runServiceKeyCommand } from '../src/cli/service-key.command.js';
import { createContainer } from '../src/container.js';

let runtime: Runtime;
try {
  runtime = (await createContainer({ processMetrics: false })).get<Runtime>(RuntimeToken);
} catch (e) {
  console.error(`service-key: cannot start: ${isDomainError(e) ? e.message : String(e)}`);
  process.exit(1);
}
let code = 1;
try {
  code = await runServiceKeyCommand(process.argv.slice(2), runtime.useCases, {
    out: (line) => console.log(line),
    err: (line) => console.error(line),
  });
} finally {
  await runtime.close();
}
process.exit(code);
