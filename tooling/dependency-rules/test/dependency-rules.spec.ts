// Proves the dependency rule in .dependency-cruiser.cjs is live: the same CLI invocation as the `depcheck`
// task fails on a tree that breaks every rule (and on nothing it should allow), and passes on the workspace.
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const repoRoot = join(packageDir, '..', '..');
const configFile = join(repoRoot, '.dependency-cruiser.cjs');
const depcruiseBin = join(packageDir, 'node_modules', '.bin', 'depcruise');
const ruleNames: string[] = createRequire(import.meta.url)(configFile).forbidden.map(
  (rule: { name: string }) => rule.name,
);

interface CruiseResult {
  exitCode: number | null;
  report: string;
  violations: { rule: string; from: string; to: string }[];
  modules: { source: string; dependencies: { module: string; resolved: string }[] }[];
}

// The `depcheck` task runs `depcruise --config .dependency-cruiser.cjs --output-type err-long packages apps`
// from the repository root; run the same from `cwd` for the exit code and the report, then once more with
// JSON output for exact assertions.
async function depcruise(cwd: string): Promise<CruiseResult> {
  const [check, json] = await Promise.all([run(cwd, 'err-long'), run(cwd, 'json')]);
  const parsed = JSON.parse(json.stdout) as {
    summary: { violations: { rule: { name: string }; from: string; to: string }[] };
    modules: CruiseResult['modules'];
  };
  return {
    exitCode: check.exitCode,
    report: check.stdout,
    violations: parsed.summary.violations.map((v) => ({ rule: v.rule.name, from: v.from, to: v.to })),
    modules: parsed.modules,
  };
}

function run(cwd: string, outputType: string): Promise<{ exitCode: number | null; stdout: string }> {
  const args = ['--config', configFile, '--output-type', outputType, 'packages', 'apps'];
  return new Promise((resolve, reject) => {
    const child = spawn(depcruiseBin, args, { cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (exitCode) => {
      if (stderr.trim()) reject(new Error(`depcruise failed (exit ${exitCode}): ${stderr}`));
      else resolve({ exitCode, stdout });
    });
  });
}

it('the depcheck task runs the invocation these specs exercise', async () => {
  const manifest = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8'));
  expect(manifest.scripts.depcheck).toBe(
    'cd ../.. && depcruise --config .dependency-cruiser.cjs --output-type err-long packages apps',
  );
});

describe('dependency rule on a tree that breaks it', () => {
  let tree: string;
  let result: CruiseResult;

  beforeAll(async () => {
    tree = await mkdtemp(join(tmpdir(), 'dependency-rules-'));
    await cp(join(packageDir, 'fixtures', 'bad-tree'), tree, { recursive: true });
    await linkWorkspacePackages(tree);
    // Installed packages, to check the rules on resolved node_modules paths as well as on bare names
    // (`pg` and `fast-check` stay unresolved).
    await installStub(join(tree, 'packages', 'core'), 'fastify');
    await installStub(tree, '@mikro-orm/core');
    await installStub(tree, 'vitest');
    result = await depcruise(tree);
  });

  afterAll(async () => {
    if (tree) await rm(tree, { recursive: true, force: true });
  });

  it('fails the check, naming every broken rule', () => {
    expect(result.exitCode).not.toBe(0);
    for (const rule of ruleNames) expect(result.report).toContain(`error ${rule}:`);
  });

  it('reports exactly the broken imports, none of the allowed ones', () => {
    const reported = result.violations.map((v) => `${v.rule}: ${v.from} → ${v.to}`).sort();
    expect(reported).toEqual(
      [
        'adapters-independent: packages/persistence/src/index.ts → packages/aws-marketplace/src/index.ts',
        'apps-independent: apps/api/src/server.ts → apps/console/src/main.ts',
        'core-imports-only-itself: packages/core/src/container.ts → inversify',
        'core-imports-only-itself: packages/core/src/orm-mapping.ts → node_modules/@mikro-orm/core/index.js',
        'core-imports-only-itself: packages/core/src/uses-adapter.ts → packages/persistence/src/index.ts',
        'core-imports-only-itself: packages/core/src/web-server.ts → packages/core/node_modules/fastify/index.js',
        'core-no-cycles: packages/core/src/cycle-a.ts → packages/core/src/cycle-b.ts',
        'core-no-frameworks: packages/core/src/container.ts → inversify',
        'core-no-frameworks: packages/core/src/orm-mapping.ts → node_modules/@mikro-orm/core/index.js',
        'core-no-frameworks: packages/core/src/testing/uses-pg.ts → pg',
        'core-no-frameworks: packages/core/src/web-server.ts → packages/core/node_modules/fastify/index.js',
        'core-no-network-builtins: packages/core/src/metering-client.ts → http',
        'core-no-network-builtins: packages/core/src/metering-client.ts → https',
        'core-not-to-adapters: packages/core/src/uses-adapter.ts → packages/persistence/src/index.ts',
        'core-production-not-testing: packages/core/src/uses-fake.ts → packages/core/src/testing/index.ts',
        'core-testing-only-test-tools: packages/core/src/testing/uses-pg.ts → pg',
        'packages-not-to-apps: packages/persistence/src/uses-app.ts → apps/api/src/server.ts',
      ].sort(),
    );
  });

  it('has a broken import for every rule in the configuration', () => {
    expect(new Set(result.violations.map((v) => v.rule))).toEqual(new Set(ruleNames));
  });

  it('resolves workspace package names to their TypeScript source through the exports field', () => {
    const marketplace = result.modules.find((m) => m.source === 'packages/aws-marketplace/src/index.ts');
    expect(marketplace?.dependencies.map((d) => [d.module, d.resolved]).sort()).toEqual([
      ['@billing-center/core', 'packages/core/src/index.ts'],
      ['@billing-center/core/testing', 'packages/core/src/testing/index.ts'],
    ]);
  });
});

describe('dependency rule on the workspace', () => {
  let result: CruiseResult;

  beforeAll(async () => {
    result = await depcruise(repoRoot);
  });

  it('finds no violations', () => {
    expect(result.violations).toEqual([]);
    expect(result.exitCode).toBe(0);
  });

  it('cruises the core and leaves the fixtures out', () => {
    const sources = result.modules.map((m) => m.source);
    expect(sources.some((s) => s.startsWith('packages/core/'))).toBe(true);
    // (shared test support under tooling/ is reached through the suites' imports; the fixtures never are)
    expect(sources.filter((s) => s.startsWith('tooling/dependency-rules/'))).toEqual([]);
  });
});

// pnpm links each workspace package into its dependents' node_modules; do the same for every fixture package.
async function linkWorkspacePackages(root: string): Promise<void> {
  const packages = await workspacePackages(root);
  for (const dependent of packages) {
    const scope = join(dependent, 'node_modules', '@billing-center');
    await mkdir(scope, { recursive: true });
    for (const target of packages.filter((p) => p.startsWith(join(root, 'packages')))) {
      await symlink(relative(scope, target), join(scope, basename(target)), 'dir');
    }
  }
}

async function workspacePackages(root: string): Promise<string[]> {
  const found: string[] = [];
  for (const group of ['packages', 'apps']) {
    for (const entry of await readdir(join(root, group), { withFileTypes: true })) {
      if (entry.isDirectory()) found.push(join(root, group, entry.name));
    }
  }
  return found;
}

async function installStub(dir: string, name: string): Promise<void> {
  const stub = join(dir, 'node_modules', name);
  await mkdir(dirname(join(stub, 'index.js')), { recursive: true });
  await writeFile(join(stub, 'package.json'), JSON.stringify({ name, version: '1.0.0', main: 'index.js' }));
  await writeFile(join(stub, 'index.js'), 'export default {};\n');
}
