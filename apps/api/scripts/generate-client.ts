// Regenerates the typed client's types (test/generated/api.d.ts) from the OpenAPI document the server
// builds from its own route schemas. The test suite regenerates them too and fails when they differ, so the
// document, this file and the end-to-end tests that use it cannot drift apart.
//   pnpm --filter @billing-center/api generate:client
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';
import { buildOpenApiDocument } from '../src/openapi/document.js';

export const CLIENT_TYPES_FILE = fileURLToPath(new URL('../test/generated/api.d.ts', import.meta.url));

const HEADER = `// Generated from the API's OpenAPI document by \`pnpm --filter @billing-center/api generate:client\`
// (scripts/generate-client.ts, openapi-typescript). Do not edit: regenerate.
`;

export async function generateClientTypes(): Promise<string> {
  const document = await buildOpenApiDocument();
  const ast = await openapiTS(document as unknown as OpenAPI3, { alphabetize: true });
  return HEADER + astToString(ast);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(CLIENT_TYPES_FILE, await generateClientTypes());
  console.log(`wrote ${CLIENT_TYPES_FILE}`);
}
