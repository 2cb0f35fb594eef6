import { createContainer } from '../container.js';
import { ApiServer } from '../server/api-server.js';

/**
 * The OpenAPI document exactly as the server serves it, built from the routes' own schemas with the default
 * configuration (an in-memory database, nothing listening): what the typed client is generated from.
 */
export async function buildOpenApiDocument(): Promise<Record<string, unknown>> {
  const container = await createContainer({
    env: { DATABASE_URL: ':memory:', LOG_LEVEL: 'silent', MARKETPLACE_PRODUCTS: 'aws:openapidocument' },
    processMetrics: false,
  });
  const server = container.get(ApiServer);
  try {
    const app = await server.app();
    return JSON.parse(JSON.stringify(app.swagger())) as Record<string, unknown>;
  } finally {
    await server.close();
  }
}
