import { isDomainError } from '@billing-center/core';
import { createContainer } from './container.js';
import { ApiServer } from './server/api-server.js';

// Resolve and start; everything else is in the composition root (container.ts).
let server: ApiServer;
try {
  server = (await createContainer()).get(ApiServer);
} catch (e) {
  // configuration and database problems name the environment variable to fix
  console.error(`billing-center api: cannot start: ${isDomainError(e) ? e.message : String(e)}`);
  process.exit(1);
}
const url = await server.listen();
console.log(`billing-center api: listening at ${url} (OpenAPI at ${url}/openapi.json, docs at ${url}/docs)`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.log(`billing-center api: ${signal} received, finishing in-flight requests`);
    server.close().then(
      () => process.exit(0),
      (e) => {
        console.error('billing-center api: shutdown failed', e);
        process.exit(1);
      },
    );
  });
}
