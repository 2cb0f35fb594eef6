// The dependency rule (docs/adr/0003): dependencies point inward only.
// Paths are relative to the directory depcruise runs from: the repository root for the real check
// (`@billing-center/dependency-rules` depcheck), a copy of tooling/dependency-rules/fixtures for the proof
// that these rules fail when broken. Workspace packages are resolved through their node_modules
// symlinks to the real `packages/<name>/src/...` files, so the rules match on where a file lives, not on
// how it was named in the import.

// Packages that are not adapters: the core itself and shared build/test configuration.
const NOT_ADAPTERS = '(core|vitest-config)';
// The one package that composes adapters (configuration, the core over persistence and AWS) for the apps.
const COMPOSITION = 'runtime';

// Matches an npm package both as the bare name of an unresolved import (`fastify`) and as the resolved file
// under any node_modules (`node_modules/.pnpm/fastify@5.1.0/node_modules/fastify/fastify.js`).
const npmPackage = (names) => `(^|(^|/)node_modules/)(${names.join('|')})(/|$)`;

// Frameworks, ORMs, SDKs and HTTP clients the core must never see (also when only their types are used).
const FRAMEWORKS = [
  'fastify',
  '@fastify/[^/]+',
  '@mikro-orm/[^/]+',
  '@aws-sdk/[^/]+',
  'pg',
  'undici',
  'inversify',
  'axios',
  'express',
];
const FRAMEWORK_PATH = npmPackage(FRAMEWORKS);

// Node built-ins that talk to the network. The core reaches the outside world only through ports.
const NETWORK_BUILTINS = '^(node:)?(http|https|http2|net|tls|dgram|dns)(/|$)';

// Core production code: everything in packages/core/src except tests and the in-memory test doubles.
const CORE_PRODUCTION = '^packages/core/src/';
const CORE_NOT_PRODUCTION = ['^packages/core/src/testing/', '\\.spec\\.ts$'];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-no-frameworks',
      comment:
        'packages/core is framework-free: no web framework, ORM, AWS SDK, DI container or HTTP client, ' +
        'not even in its tests. Put the code in an adapter behind a port.',
      severity: 'error',
      from: { path: '^packages/core/' },
      to: { path: FRAMEWORK_PATH },
    },
    {
      name: 'core-no-network-builtins',
      comment: 'packages/core does no network I/O; an outbound port and its adapter do.',
      severity: 'error',
      from: { path: '^packages/core/' },
      to: { dependencyTypes: ['core'], path: NETWORK_BUILTINS },
    },
    {
      name: 'core-imports-only-itself',
      comment:
        'Core production code imports only core files and Node built-ins: no npm package, no other ' +
        'workspace package (the core has zero runtime dependencies).',
      severity: 'error',
      from: { path: CORE_PRODUCTION, pathNot: CORE_NOT_PRODUCTION },
      to: { pathNot: CORE_PRODUCTION, dependencyTypesNot: ['core'] },
    },
    {
      name: 'core-testing-only-test-tools',
      comment:
        'The in-memory adapters and contract suites in packages/core/src/testing may use the core, Node ' +
        'built-ins and the test libraries (vitest, fast-check) — nothing else.',
      severity: 'error',
      from: { path: '^packages/core/src/testing/' },
      to: {
        pathNot: [CORE_PRODUCTION, npmPackage(['vitest', '@vitest/[^/]+', 'fast-check'])],
        dependencyTypesNot: ['core'],
      },
    },
    {
      name: 'core-not-to-adapters',
      comment:
        'Dependencies point inward: the core (tests included) never imports another workspace package.',
      severity: 'error',
      from: { path: '^packages/core/' },
      to: { path: '^packages/', pathNot: `^packages/${NOT_ADAPTERS}/` },
    },
    {
      name: 'core-production-not-testing',
      comment:
        'Production code must not depend on the test doubles; they are exported separately as ' +
        '@billing-center/core/testing.',
      severity: 'error',
      from: { path: CORE_PRODUCTION, pathNot: CORE_NOT_PRODUCTION },
      to: { path: '^packages/core/src/testing/' },
    },
    {
      name: 'core-no-cycles',
      comment:
        'No import cycles inside the core: they make ES module initialisation order fragile. ' +
        'Cycles made only of type imports are erased at compile time and are allowed.',
      severity: 'error',
      from: { path: '^packages/core/' },
      to: {
        path: '^packages/core/',
        circular: true,
        viaOnly: { dependencyTypesNot: ['type-only'] },
      },
    },
    {
      name: 'adapters-independent',
      comment:
        'Adapters depend on the core, never on each other. If two adapters need the same thing, it is ' +
        'either a port in the core or belongs to the app that composes them.',
      severity: 'error',
      from: {
        path: `^packages/([^/]+)/`,
        pathNot: [`^packages/${NOT_ADAPTERS}/`, `^packages/${COMPOSITION}/`],
      },
      to: { path: '^packages/([^/]+)/', pathNot: [`^packages/$1/`, `^packages/${NOT_ADAPTERS}/`] },
    },
    {
      name: 'packages-not-to-apps',
      comment: 'Apps compose packages; nothing in packages/ may import an app.',
      severity: 'error',
      from: { path: '^packages/' },
      to: { path: '^apps/' },
    },
    {
      name: 'apps-independent',
      comment: 'An app never imports another app; share code through a package instead.',
      severity: 'error',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/', pathNot: '^apps/$1/' },
    },
  ],
  options: {
    // Only the workspace is checked; fixtures that break the rules on purpose stay out of the real run.
    exclude: { path: ['(^|/)(dist|coverage|\\.turbo)/', '^tooling/dependency-rules/fixtures/'] },
    doNotFollow: { path: '(^|/)node_modules/' },
    // Count `import type` too: the core may not even name a framework's types.
    tsPreCompilationDeps: true,
    // Resolve `@billing-center/<name>` through the package's `exports` (TypeScript source, no build step).
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['types', 'import', 'require', 'node', 'default'],
      mainFields: ['module', 'main', 'types', 'typings'],
      extensions: ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs', '.d.ts', '.json'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
