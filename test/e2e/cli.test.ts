/**
 * The command-line client as a process (`node --import tsx src/cli.ts …`, and once through the bin launcher and
 * src/main.ts) against a running service: the HTTP API and the workflow workers in this test process, the
 * emulator as the cloud. Checks what a script relies on: output and exit codes (0 all succeeded, 1 some failed,
 * 2 usage — also a request or file the API refuses, 3 unreachable or 503: retry later).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { freePort } from '../helpers/redis.js';
import { waitUntil } from '../../src/lib/wait.js';
import { startHarness, TEST_KEY, type Harness } from '../integration/api/harness.js';
import { runCli } from '../../src/cli.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const ROOT = join(import.meta.dirname, '..', '..');

/** Run the client as a child process (asynchronously: the API lives in this process's event loop). */
function cli(args: string[], env: Record<string, string> = {}, entry: string[] = ['--import', 'tsx', join(ROOT, 'src', 'cli.ts')]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...entry, ...args],
      { cwd: ROOT, env: { ...process.env, APP_ENV: 'test', ...env }, encoding: 'utf8', timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('nic-attach CLI against a running service', () => {
  let h: Harness;
  let env: Record<string, string>;
  let dir: string;
  let serverA: string;
  let serverB: string;

  before(async () => {
    h = await startHarness({ workers: true });
    env = { NIC_ATTACH_API_URL: h.url, NIC_ATTACH_API_KEY: TEST_KEY };
    dir = mkdtempSync(join(tmpdir(), 'nic-attach-cli-'));
    serverA = (await h.emulator.control.createServer({ name: 'cli-a' })).id;
    serverB = (await h.emulator.control.createServer({ name: 'cli-b' })).id;
  });
  after(async () => {
    await h?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  let submittedId = '';

  it('submit --wait follows the attachment to success (exit 0)', async () => {
    const run = await cli(['submit', '--server', serverA, '--metadata', 'ticket=NET-7', '--wait', '--interval', '100'], env);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const m = /accepted (att_[0-9a-f-]{36})/.exec(run.stdout);
    assert.ok(m?.[1], run.stdout);
    submittedId = m[1];
    assert.match(run.stdout, /status\s+succeeded/);
    assert.match(run.stdout, /ip_address\s+\d+\.\d+\.\d+\.\d+/);
  });

  it('status <att_id> shows the record (exit 0), --json prints it as JSON', async () => {
    const run = await cli(['status', submittedId], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`id\\s+${submittedId}`));
    assert.match(run.stdout, /status\s+succeeded/);
    const json = await cli(['status', submittedId, '--json'], env);
    assert.equal(json.code, 0);
    const record = JSON.parse(json.stdout) as { id: string; status: string; metadata: unknown };
    assert.equal(record.id, submittedId);
    assert.deepEqual(record.metadata, { ticket: 'NET-7' });
  });

  it('submit without --wait prints the id at once; submit --file sends a JSON request', async () => {
    const quick = await cli(['submit', '--server', serverB], env);
    assert.equal(quick.code, 0, quick.stderr);
    assert.match(quick.stdout, /^accepted att_[0-9a-f-]{36} \(queued\)/);
    const file = join(dir, 'req.json');
    writeFileSync(file, JSON.stringify({ server_id: serverB, metadata: { from: 'file' } }));
    const fromFile = await cli(['submit', '--file', file, '--json'], env);
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assert.equal((JSON.parse(fromFile.stdout) as { server_id: string }).server_id, serverB);
  });

  it('batch <jsonl> shows progress and a summary, exit 0 when every item succeeds', async () => {
    const file = join(dir, 'ok.jsonl');
    writeFileSync(file, ['# three attachments', JSON.stringify({ server_id: serverA }), '', JSON.stringify({ server_id: serverB }), JSON.stringify({ server_id: serverA, metadata: { n: 3 } })].join('\n'));
    const run = await cli(['batch', file, '--interval', '100'], env);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const id = /accepted batch (bat_[0-9a-f-]{36}) \(3 items\)/.exec(run.stdout)?.[1];
    assert.ok(id, run.stdout);
    assert.match(run.stdout, new RegExp(`${id}: 3/3 ended \\(succeeded 3`), 'plain progress lines when stdout is not a TTY');
    assert.match(run.stdout, /succeeded\s+3\n/);
    assert.match(run.stdout, /total\s+3/);
    const status = await cli(['status', id], env);
    assert.equal(status.code, 0);
    assert.match(status.stdout, /done\s+yes/);
  });

  it('batch <csv> with a header row', async () => {
    const file = join(dir, 'ok.csv');
    writeFileSync(file, `server_id,metadata.team,security_group_ids\n${serverA},net,\n"${serverB}","ops, infra",\n`);
    const run = await cli(['batch', file, '--interval', '100', '--json'], env);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const view = JSON.parse(run.stdout) as { total: number; counts: { succeeded: number } };
    assert.equal(view.total, 2);
    assert.equal(view.counts.succeeded, 2);
  });

  it('batch with an item that fails exits 1 and lists the failure', async () => {
    const missingServer = randomUUID();
    const file = join(dir, 'one-fails.jsonl');
    writeFileSync(file, [JSON.stringify({ server_id: serverA }), JSON.stringify({ server_id: missingServer })].join('\n'));
    const run = await cli(['batch', file, '--interval', '100'], env);
    assert.equal(run.code, 1, run.stderr + run.stdout);
    assert.match(run.stdout, /failed\s+1\n/);
    assert.match(run.stdout, /SERVER_NOT_FOUND/);
  });

  it('a batch the API refuses names the file line of the bad item (exit 2: fix the file), nothing enqueued', async () => {
    const file = join(dir, 'refused.jsonl');
    writeFileSync(file, [JSON.stringify({ server_id: serverA }), '', JSON.stringify({ server_id: serverA, port: { fixed_ip: '999.1.1.1' } })].join('\n'));
    const keysBefore = (await h.recordKeys()).length;
    const jobsBefore = await h.enqueued();
    const run = await cli(['batch', file], env);
    assert.equal(run.code, 2, run.stderr);
    assert.equal((await h.recordKeys()).length, keysBefore);
    assert.equal(await h.enqueued(), jobsBefore);
    assert.match(run.stderr, /INVALID_IP/);
    assert.match(run.stderr, /line 3 \(item 1\)/);
  });

  it('watch prints the completion events (--from-start, --count, --json)', async () => {
    const run = await cli(['watch', '--from-start', '--count', '2', '--type', 'attachment.succeeded', '--json'], env);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; cursor: string });
    assert.equal(lines.length, 2);
    assert.ok(lines.every((e) => e.type === 'attachment.succeeded' && /^\d+-\d+$/.test(e.cursor)));
    const text = await cli(['watch', '--from-start', '--count', '1', '--type', 'batch.completed'], env);
    assert.equal(text.code, 0);
    assert.match(text.stdout, /batch\.completed\s+bat_/);
  });

  it('watch --json: each event carries its own cursor, so --after resumes right after it even mid-page', async () => {
    const first = await cli(['watch', '--from-start', '--count', '1', '--json'], env);
    assert.equal(first.code, 0, first.stderr);
    const e1 = JSON.parse(first.stdout.trim()) as { id: string; cursor: string };
    const resumed = await cli(['watch', '--after', e1.cursor, '--count', '1', '--json'], env);
    assert.equal(resumed.code, 0, resumed.stderr);
    const e2 = JSON.parse(resumed.stdout.trim()) as { id: string };
    const page = await h.call<{ events: Array<{ id: string; cursor: string }> }>('GET', '/v1/events?limit=2');
    assert.deepEqual([e1.id, e2.id], page.body.events.map((e) => e.id), 'the second event of the stream, not the next page');
    assert.equal(e1.cursor, page.body.events[0]?.cursor);
  });

  it('watch starts from the server\'s "now", not the client\'s clock (here an hour ahead)', async () => {
    // The client's Date.now() runs an hour ahead: a start cursor made of it would skip the next hour of events.
    const skew = 'data:text/javascript,const n=Date.now;Date.now=()=>n()+3600000;';
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', skew, join(ROOT, 'src', 'cli.ts'), 'watch', '--count', '1', '--type', 'attachment.succeeded', '--interval', '100'], {
      cwd: ROOT,
      env: { ...process.env, APP_ENV: 'test', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    let exitCode: number | null | undefined;
    child.on('exit', (code) => (exitCode = code));
    try {
      // Printed once the start cursor is taken from the server.
      await waitUntil(() => (stderr.includes('watching events') ? true : undefined), { timeoutMs: 30_000, what: 'watch to start' });
      const res = await h.call<{ id: string }>('POST', '/v1/attachments', { body: { server_id: serverA } });
      assert.equal(res.status, 202);
      const code = await waitUntil(() => exitCode, { timeoutMs: 30_000, what: 'watch to print the new event and exit' });
      assert.equal(code, 0, stderr);
      assert.match(stdout, /attachment\.succeeded\s+att_/);
    } finally {
      child.kill();
    }
  });

  it('runs through the nic-attach launcher and src/main.ts too', async () => {
    const run = await cli(['status', submittedId], env, [join(ROOT, 'bin', 'nic-attach.js')]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /status\s+succeeded/);
  });

  it('exits 2 on usage errors, printing the usage', async () => {
    const cases: Array<[string, string[]]> = [
      ['an unknown flag', ['submit', '--server', '00000000-0000-4000-8000-000000000000', '--bogus']],
      ['submit without --server', ['submit', '--fixed-ip', '10.0.0.5']],
      ['--subnet-name without --subnet-cidr', ['submit', '--server', '00000000-0000-4000-8000-000000000000', '--subnet-name', 'a']],
      ['--file with request flags', ['submit', '--file', 'x.json', '--server', '00000000-0000-4000-8000-000000000000']],
      ['batch without a file', ['batch']],
      ['batch with a missing file', ['batch', '/nonexistent/file.jsonl']],
      ['status without an id', ['status']],
      ['status with an id of no known kind', ['status', 'xyz']],
      ['an unknown command', ['attach']],
      ['a bad --interval', ['watch', '--interval', 'soon']],
      ['an unknown event type', ['watch', '--type', 'attachment.done']],
    ];
    // Two as processes (the exit code a shell sees); the rest through runCli in this process (same code, no
    // second of start-up each).
    for (const [name, args] of cases.slice(0, 2)) {
      const run = await cli(args, env);
      assert.equal(run.code, 2, `${name}: ${run.stdout}${run.stderr}`);
      assert.match(run.stderr, /usage: nic-attach/, name);
    }
    for (const [name, args] of cases.slice(2)) {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runCli(args, { out: (t) => out.push(t), err: (t) => err.push(t), tty: false });
      assert.equal(code, 2, `${name}: ${out.join('\n')}${err.join('\n')}`);
      assert.match(err.join('\n'), /usage: nic-attach/, name);
    }
  });

  it('exit 2 when the API refuses a request (a 4xx: the command must change), with the code and field', async () => {
    const run = await cli(['submit', '--server', serverA, '--fixed-ip', '10.0.0.300'], env);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /400 INVALID_IP\) \[port\.fixed_ip\]/);
    const badKey = await cli(['status', submittedId, '--key', 'wrong'], env);
    assert.equal(badKey.code, 2);
    assert.match(badKey.stderr, /401 UNAUTHORIZED/);
  });

  it('exit 3 on a 503 (retry later), with the way to check an OUTCOME_UNKNOWN write', async () => {
    // An API that answers as the real one does when Redis did not confirm a write.
    const id = 'att_00000000-0000-4000-8000-0000000000aa';
    const fake = createServer((_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'OUTCOME_UNKNOWN', message: `Redis did not confirm the write of attachment ${id}; outcome unknown; retry with the same Idempotency-Key`, details: { id } } }));
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    try {
      const err: string[] = [];
      const api = `http://127.0.0.1:${(fake.address() as { port: number }).port}`;
      const code = await runCli(['submit', '--server', serverA, '--idempotency-key', 'k-1', '--api', api, '--key', TEST_KEY], { out: () => undefined, err: (t) => err.push(t), tty: false });
      assert.equal(code, 3, err.join('\n'));
      assert.match(err.join('\n'), /503 OUTCOME_UNKNOWN/);
      assert.match(err.join('\n'), new RegExp(`nic-attach status ${id} shows whether it was enqueued`));
    } finally {
      await new Promise((resolve) => fake.close(resolve));
    }
  });

  it('exit 3 when the service is unreachable', async () => {
    const port = await freePort();
    const run = await cli(['status', submittedId, '--api', `http://127.0.0.1:${port}`], env);
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stderr, /cannot reach the API/);
  });
});
