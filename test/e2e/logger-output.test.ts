/**
 * The log format as a process sees it: JSON lines unless pretty output is asked for (LOG_PRETTY=true, or the
 * default `auto` with stdout a terminal). A process whose stdout is a pipe or a file (a container, a log
 * shipper, CI) must get JSON. The TTY cases run under `script`, which gives the child a real pseudo-terminal.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = join(import.meta.dirname, '..', '..');
const LOGGER = pathToFileURL(join(ROOT, 'src', 'lib', 'logger.ts')).href;
// One info line with a field, then exit (pino flushes its transport on exit).
const SCRIPT = `import { createLogger } from ${JSON.stringify(LOGGER)};
createLogger({ level: 'info', pretty: process.env.PRETTY }).info({ operation: 'ShowVpc' }, 'hello from the logger');`;
const NODE_ARGS = ['--import', 'tsx', '--input-type=module', '-e', SCRIPT];

function run(file: string, args: string[], pretty: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PRETTY: pretty, TERM: 'dumb' }, encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
    );
  });
}

/** Under a pseudo-terminal: `script -qec <command> /dev/null` (util-linux). */
const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
const underTty = (pretty: string): Promise<string> => run('script', ['-qec', [process.execPath, ...NODE_ARGS].map(shellQuote).join(' '), '/dev/null'], pretty);
const hasScript = ((): boolean => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function assertJsonLine(out: string): void {
  const lines = out.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, out);
  const rec = JSON.parse(lines[0]!.trim()) as Record<string, unknown>;
  assert.equal(rec.msg, 'hello from the logger');
  assert.equal(rec.operation, 'ShowVpc');
  assert.equal(rec.level, 30);
  assert.equal(rec.service, 'ecs-nic-attach');
}

function assertPretty(out: string): void {
  assert.match(out, /INFO/);
  assert.match(out, /hello from the logger/);
  assert.ok(!out.trim().startsWith('{'), `expected pretty output, got: ${out}`);
}

describe('logger output format', () => {
  it('is JSON when stdout is a pipe (LOG_PRETTY=auto, the default)', async () => {
    assertJsonLine(await run(process.execPath, NODE_ARGS, 'auto'));
  });

  it('is JSON with LOG_PRETTY=false', async () => {
    assertJsonLine(await run(process.execPath, NODE_ARGS, 'false'));
  });

  it('is pretty when asked for (LOG_PRETTY=true), even on a pipe', async () => {
    assertPretty(await run(process.execPath, NODE_ARGS, 'true'));
  });

  it('is pretty with LOG_PRETTY=auto on a terminal, JSON with LOG_PRETTY=false on one', { skip: hasScript ? false : 'no `script` (util-linux) to give a pseudo-terminal' }, async () => {
    assertPretty(await underTty('auto'));
    assertJsonLine(await underTty('false'));
  });
});
