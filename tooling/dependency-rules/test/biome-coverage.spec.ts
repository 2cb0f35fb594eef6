// Biome 2.3.9 can panic on a file (biomejs/biome#8473: "processing panicked: no entry found for key" in its
// semantic model); it then prints an internal-error diagnostic, leaves that file unchecked, and still exits
// with 0. The `lint` tasks would pass over a file nobody checked: this check fails instead.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = join(fileURLToPath(new URL('..', import.meta.url)), '..', '..');
const biomeBin = join(repoRoot, 'node_modules', '.bin', 'biome');

/** The files Biome's output says it could not process (an internal error diagnostic names each). */
function uncheckedFiles(output: string): string[] {
  return [...output.matchAll(/^(\S+) internalError\/\S+/gm)].map((m) => m[1] as string);
}

describe('Biome checks every file', () => {
  it('recognises the diagnostic of a file Biome could not process (as printed by 2.3.9)', () => {
    const printed = [
      'Source Location: crates/biome_js_semantic/src/semantic_model/scope.rs:129:39',
      'Thread Name: biome::workspace_worker_0',
      'Message: no entry found for key',
      '',
      'packages/core/src/testing/in-memory/table.ts internalError/panic  INTERNAL  ━━━━━━━━━━━━━━━━━━━━━━━━',
      '',
      '  × processing panicked: no entry found for key',
      '',
      'Checked 103 files in 182ms. No fixes applied.',
    ].join('\n');
    expect(uncheckedFiles(printed)).toEqual(['packages/core/src/testing/in-memory/table.ts']);
    expect(uncheckedFiles('Checked 103 files in 182ms. No fixes applied.')).toEqual([]);
  });

  it('no file of the repository is left unchecked by an internal error', () => {
    const r = spawnSync(biomeBin, ['check', '--max-diagnostics=none', '.'], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    expect(r.error).toBeUndefined();
    expect(`${r.stdout}\n${r.stderr}`).toMatch(/Checked \d+ files/);
    expect(uncheckedFiles(`${r.stdout}\n${r.stderr}`)).toEqual([]);
  }, 60_000);
});
