#!/usr/bin/env node
// Runs the test suite with node's own test runner (node:test) and tsx, on Node 20.
// Usage: node scripts/run-tests.mjs [dir-or-file ...]   (default: test/)
// Node 20's runner has no glob support, so the *.test.ts files are listed here.
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawn } from 'node:child_process';

const roots = process.argv.slice(2);
const targets = roots.length > 0 ? roots : ['test'];

function collect(path, out) {
  const st = statSync(path);
  if (st.isFile()) {
    if (path.endsWith('.test.ts')) out.push(path);
    return out;
  }
  for (const name of readdirSync(path).sort()) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    collect(join(path, name), out);
  }
  return out;
}

const files = targets.flatMap((t) => collect(resolve(t), []));
if (files.length === 0) {
  console.error(`no *.test.ts files under ${targets.join(', ')}`);
  process.exit(2);
}

const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const args = [
  '--import',
  'tsx',
  '--test',
  `--test-concurrency=${concurrency}`,
  '--test-timeout=180000',
  '--test-reporter=spec',
  ...files,
];
const child = spawn(process.execPath, args, { stdio: 'inherit', env: { ...process.env, APP_ENV: process.env.APP_ENV ?? 'test' } });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
