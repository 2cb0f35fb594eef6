import { configFromEnv } from './config/simulator-config.js';
import { createContainer } from './container.js';
import { SimulatorServer } from './simulator-server.js';

// Resolve and start; everything else is in the composition root (container.ts).
const { port, host, config } = configFromEnv(process.env);
const server = createContainer(config).get(SimulatorServer);
const url = await server.listen(port, host, {
  logger: { level: process.env.AWS_SIMULATOR_LOG_LEVEL ?? 'info' },
});
console.log(
  `aws-simulator: AWS endpoints at ${url}, buyer pages at ${url}/marketplace, admin at ${url}/_admin/state`,
);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void server.close().then(() => process.exit(0));
  });
}
