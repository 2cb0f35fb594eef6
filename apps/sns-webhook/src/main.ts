import { createContainer } from './container.js';
import { WebhookServer } from './server.js';

// Resolve and start; everything else is in the composition root (container.ts).
let server: WebhookServer;
try {
  server = (await createContainer(process.env)).get(WebhookServer);
  await server.start();
} catch (e) {
  // Configuration and start-up errors name what to fix (the variable, the database); no stack needed.
  const code = (e as { code?: unknown }).code;
  console.error(
    `sns-webhook: cannot start: ${typeof code === 'string' ? `[${code}] ` : ''}${(e as Error).message}`,
  );
  process.exit(1);
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    server.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error('sns-webhook: shutdown failed', err);
        process.exit(1);
      },
    );
  });
}
