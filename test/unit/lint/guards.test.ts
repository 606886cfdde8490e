// The project's architecture guards are lint rules; a settings mistake once made import-x/no-cycle silently
// check nothing (no .ts file entered its dependency graph). These cases lint small fixtures with the real
// eslint.config.js and expect each guard to fire, so such a mistake fails the tests instead.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const fixtures = join(repoRoot, 'test/fixtures/lint');

// ignore: false because the fixtures are (deliberately) in the config's ignores, so `npm run lint` stays clean.
const eslint = new ESLint({ cwd: repoRoot, overrideConfigFile: join(repoRoot, 'eslint.config.js'), ignore: false });

function ruleMessages(result: ESLint.LintResult, ruleId: string): string[] {
  return result.messages.filter((m) => m.ruleId === ruleId).map((m) => m.message);
}

describe('lint guards', () => {
  it('import-x/no-cycle reports a two-file import cycle in both files', async () => {
    const results = await eslint.lintFiles([join(fixtures, 'cycle/a.ts'), join(fixtures, 'cycle/b.ts')]);
    assert.equal(results.length, 2);
    for (const r of results) {
      assert.deepEqual(ruleMessages(r, 'import-x/no-cycle'), ['Dependency cycle detected'], `${r.filePath}: ${JSON.stringify(r.messages)}`);
    }
  });

  it('import-x/no-restricted-paths reports src/lib importing src/config (design.md §5)', async () => {
    const text = readFileSync(join(fixtures, 'layer-violation.ts'), 'utf8');
    // Linted as a file inside src/lib, so the layer zones (relative to the repo root) apply.
    const results = await eslint.lintText(text, { filePath: join(repoRoot, 'src/lib/lint-guard-fixture.ts') });
    const msgs = ruleMessages(results[0]!, 'import-x/no-restricted-paths');
    assert.equal(msgs.length, 1, JSON.stringify(results[0]!.messages));
    assert.match(msgs[0]!, /src\/lib must not import src\/config/);
  });

  it('the fixtures stay out of the normal lint run', async () => {
    const normal = new ESLint({ cwd: repoRoot, overrideConfigFile: join(repoRoot, 'eslint.config.js') });
    assert.equal(await normal.isPathIgnored(join(fixtures, 'cycle/a.ts')), true);
    assert.equal(await normal.isPathIgnored(join(fixtures, 'layer-violation.ts')), true);
  });
});
