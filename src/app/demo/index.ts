/**
 * `nic-attach demo` (`npm run demo`): the whole service on one machine, end to end, in well under a minute.
 *
 * 1. Starts the embedded emulator, the workers, event delivery and the API in this process (createApp), on a
 *    key prefix of its own and free ports, with short but realistic cloud timings (./config.ts).
 * 2. Creates servers in the emulator and submits ~50 attachments as ONE batch through the HTTP API: a shared
 *    new subnet, fixed IPs, and a few that must fail for a real reason (./scenario.ts).
 * 3. Follows the batch with a progress bar (plain lines when stdout is not a terminal or CI is set), while a
 *    local receiver takes the webhooks of a subscription and of callback_urls and verifies every signature
 *    (./receiver.ts).
 * 4. Prints a summary (./summary.ts): outcomes per case against the expected ones, per-stage timings, cloud
 *    calls per attachment, webhooks verified.
 * 5. Stops everything it started and drops its Redis keys. Exit 0 when every outcome and webhook is as
 *    expected, 1 otherwise (or when Redis is unreachable: one message says how to get one), 2 on bad usage.
 */
import { createProgress } from '../../cli/progress.js';
import { isAppError } from '../../lib/errors.js';
import { createLogger } from '../../lib/logger.js';
import { waitUntil } from '../../lib/wait.js';
import type { AttachmentRecord, AttachmentStatus } from '../../workflow/types.js';
import { createApp, type App } from '../create-app.js';
import type { ApiRole } from '../roles/api.js';
import type { EmulatorRole } from '../roles/emulator.js';
import { demoConfig, DEMO_JOB_MS } from './config.js';
import { dropKeys } from './redis-keys.js';
import { startDemoReceiver, type DemoReceiver } from './receiver.js';
import { buildScenario } from './scenario.js';
import { buildReport } from './summary.js';

export interface DemoIo {
  out(text: string): void;
  err(text: string): void;
  /** Draw a live progress bar (a terminal, not CI). */
  tty: boolean;
}

export interface DemoOptions {
  configDir?: string;
  io?: DemoIo;
  /** Overall time limit of the batch and its webhooks (default 45 s). */
  timeoutMs?: number;
}

const USAGE = `usage: nic-attach demo [--verbose]

Runs API, workers, event delivery and the emulator in this process, submits a batch of 50 attachments through
the HTTP API, verifies the webhooks, prints a summary and cleans up. Needs Redis (REDIS_URL, default
redis://127.0.0.1:6379). --verbose shows the service's logs.`;

function defaultIo(ci: boolean): DemoIo {
  return {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    tty: process.stdout.isTTY === true && !ci,
  };
}

interface Http {
  call<T>(method: string, path: string, body?: unknown): Promise<T>;
}

function httpClient(baseUrl: string, key: string): Http {
  return {
    async call<T>(method: string, path: string, body?: unknown): Promise<T> {
      const res = await fetch(`${baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(15_000),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text.slice(0, 300)}`);
      return JSON.parse(text) as T;
    },
  };
}

async function allRecords(http: Http, batchId: string): Promise<Map<string, AttachmentRecord>> {
  const out = new Map<string, AttachmentRecord>();
  let cursor: string | undefined;
  do {
    const page = await http.call<{ items: AttachmentRecord[]; next_cursor?: string }>('GET', `/v1/attachments?batch_id=${batchId}&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    for (const r of page.items) out.set(r.id, r);
    cursor = page.next_cursor;
  } while (cursor);
  return out;
}

export async function runDemo(argv: string[], opts: DemoOptions = {}): Promise<number> {
  const { config, apiKey } = demoConfig({ ...(opts.configDir ? { configDir: opts.configDir } : {}), verbose: argv.includes('--verbose') });
  const io = opts.io ?? defaultIo(config.ci);
  if (argv.includes('--help') || argv.includes('-h')) {
    io.out(USAGE);
    return 0;
  }
  const unknown = argv.filter((a) => a !== '--verbose');
  if (unknown.length > 0) {
    io.err(`unknown argument ${unknown[0] ?? ''}\n${USAGE}`);
    return 2;
  }
  const logger = createLogger({ level: config.log.level, pretty: config.log.pretty });
  const app: App = createApp(config, { roles: ['emulator', 'events', 'workers', 'api'], logger });
  let receiver: DemoReceiver | undefined;
  let interrupted = false;
  let serviceUp = false;
  let verdict: string[] = [];
  const onSigint = (): void => {
    interrupted = true;
  };
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigint);

  try {
    io.out(`nic-attach demo: starting the emulator, workers, event delivery and the API (Redis ${config.redis.url.replace(/\/\/[^@]*@/, '//***@')}, prefix ${config.redis.prefix})`);
    try {
      await app.start();
      serviceUp = true;
    } catch (err) {
      io.err(isAppError(err) ? err.message : err instanceof Error ? err.message : String(err));
      return 1;
    }
    const emulator = app.role<EmulatorRole>('emulator')?.emulator;
    const apiUrl = app.role<ApiRole>('api')?.url;
    if (!emulator || !apiUrl) throw new Error('the demo app did not start its emulator and API');
    emulator.control.configure({ timings: { job_ms: DEMO_JOB_MS } });
    const http = httpClient(apiUrl, apiKey);

    receiver = await startDemoReceiver();
    const sub = await http.call<{ id: string; secret: string }>('POST', '/v1/webhooks', { url: `${receiver.baseUrl}/subscription`, description: 'nic-attach demo receiver' });
    receiver.target('subscription', sub.secret);
    const callbackUrl = receiver.target('callback', config.webhook.secret);

    const scenario = buildScenario(emulator.control, { callbackUrl });
    io.out(`API at ${apiUrl}; ${scenario.servers.length} servers in the emulator; submitting a batch of ${scenario.items.length} attachments`);
    const started = Date.now();
    const batch = await http.call<{ id: string; total: number; attachment_ids: string[] }>('POST', '/v1/batches', {
      items: scenario.items.map((i) => i.request),
      callback_url: callbackUrl,
      metadata: { demo: true },
    });
    io.out(`batch ${batch.id} accepted (${batch.total} attachments)`);

    const progress = createProgress({ tty: io.tty, label: 'attachments', write: io.out });
    const deadline = started + (opts.timeoutMs ?? 45_000);
    let done = false;
    try {
      while (!done) {
        if (interrupted) throw new Error('interrupted');
        if (Date.now() > deadline) throw new Error(`the batch did not finish within ${(opts.timeoutMs ?? 45_000) / 1000} s`);
        const view = await http.call<{ counts: Record<AttachmentStatus, number>; total: number; done: boolean }>('GET', `/v1/batches/${batch.id}`);
        progress.update(view.counts, view.total);
        done = view.done;
        if (!done) await new Promise((r) => setTimeout(r, io.tty ? 100 : 500));
      }
    } finally {
      progress.stop();
    }

    const records = await allRecords(http, batch.id);
    const fixedCallbacks = scenario.items.filter((i) => i.request.callback_url).length;
    const expectedWebhooks = [
      { target: 'subscription', expected: scenario.items.length + 1 },
      { target: 'callback', expected: fixedCallbacks + 1 },
    ];
    const r = receiver;
    io.out('waiting for the webhooks …');
    await waitUntil(() => (expectedWebhooks.every((w) => r.stats(w.target).distinct >= w.expected) || interrupted ? true : undefined), {
      timeoutMs: Math.max(5_000, deadline - Date.now()),
      intervalMs: 100,
    }).catch(() => undefined);
    const report = buildReport({
      items: scenario.items,
      ids: batch.attachment_ids,
      records,
      cloudCalls: emulator.control.state().calls,
      webhooks: expectedWebhooks.map((w) => ({ ...w, stats: r.stats(w.target) })),
      verifier: r.verifier,
      elapsedMs: Date.now() - started,
    });
    io.out(report.text);
    io.out('');
    if (report.problems.length > 0) {
      verdict = [`demo FAILED: ${report.problems.length} problem(s):`, ...report.problems.map((p) => `  - ${p}`)];
      return 1;
    }
    verdict = [`demo passed: all ${scenario.items.length} outcomes as expected, every webhook signature verified.`];
    return 0;
  } catch (err) {
    verdict = [`demo failed: ${err instanceof Error ? err.message : String(err)}`];
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    if (serviceUp) {
      io.out('stopping the service and dropping the demo\'s Redis keys');
      await app.stop().catch((err: unknown) => io.err(`stop: ${err instanceof Error ? err.message : String(err)}`));
      await receiver?.close();
      await dropKeys(config.redis.url, config.redis.prefix).catch((err: unknown) => io.err(`could not drop the demo keys: ${err instanceof Error ? err.message : String(err)}`));
    }
    for (const line of verdict) io.out(line);
  }
}
