/**
 * `nic-attach batch <file>`: sends the file's requests as one batch through the API, shows progress while it
 * runs (a bar on a terminal, lines otherwise) and a summary table at the end. Exit 0 when every item
 * succeeded, 1 when any failed or was cancelled, 2 when the API refused the batch (a bad item is named by its
 * file line: fix the file), 3 when the service is unavailable.
 */
import type { CliContext } from './context.js';
import { pause } from './context.js';
import { ApiError, type BatchBody } from './client.js';
import { EXIT_FAILED, EXIT_OK, UsageError } from './exit-codes.js';
import { readRequestsFile } from './input.js';
import { createProgress } from './progress.js';
import { renderBatch } from './render.js';

export const BATCH_USAGE = `usage: nic-attach batch <file> [--no-wait] [--callback-url <url>] [--metadata key=value]

  <file>                       JSON lines (one request per line), a JSON array, or CSV with a header row
                               (columns: server_id, subnet_id | subnet_name + subnet_cidr, fixed_ip,
                               security_group_ids (;-separated), vpc_id | vpc_name + vpc_cidr, or any
                               request path such as subnet.gateway_ip or metadata.team)
  --no-wait                    print the batch id and exit once it is accepted
  --callback-url <url>         receives batch.completed as a signed webhook
  --metadata key=value         batch metadata, repeatable
  --idempotency-key <key>      a retry with the same key and file returns the same batch
  --interval <ms>              poll interval while waiting (default 1000)
  --timeout <ms>               give up waiting after this long (default 1800000); exit 1`;

export const BATCH_OPTIONS = {
  'no-wait': { type: 'boolean' },
  'callback-url': { type: 'string' },
  metadata: { type: 'string', multiple: true },
  'idempotency-key': { type: 'string' },
} as const;

export interface BatchValues {
  'no-wait'?: boolean;
  'callback-url'?: string;
  metadata?: string[];
  'idempotency-key'?: string;
}

function parseMetadata(pairs: string[] | undefined): Record<string, string> | undefined {
  if (!pairs || pairs.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--metadata takes key=value, got "${pair}"`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

export async function runBatch(ctx: CliContext, values: BatchValues, positionals: string[]): Promise<number> {
  const [file, ...extra] = positionals;
  if (!file) throw new UsageError('batch needs a file: nic-attach batch <file>');
  if (extra.length > 0) throw new UsageError(`batch takes one file (got "${positionals.join(' ')}")`);
  const items = await readRequestsFile(file);
  const metadata = parseMetadata(values.metadata);

  let accepted;
  try {
    accepted = await ctx.client.submitBatch(
      {
        items: items.map((i) => i.request),
        ...(values['callback-url'] ? { callback_url: values['callback-url'] } : {}),
        ...(metadata ? { metadata } : {}),
      },
      values['idempotency-key'],
    );
  } catch (err) {
    if (err instanceof ApiError && typeof err.details.index === 'number') {
      const item = items[err.details.index];
      throw new ApiError(err.status, err.code, `${file} line ${item?.line ?? '?'} (item ${err.details.index}): ${err.message}`, err.details);
    }
    throw err;
  }

  if (values['no-wait']) {
    ctx.out(ctx.json ? JSON.stringify(accepted, null, 2) : `accepted batch ${accepted.id} (${accepted.total} items)`);
    return EXIT_OK;
  }
  if (!ctx.json) ctx.out(`accepted batch ${accepted.id} (${accepted.total} items)`);

  const progress = ctx.json ? undefined : createProgress({ tty: ctx.tty, label: accepted.id, write: (line) => ctx.out(line) });
  const deadline = Date.now() + ctx.waitTimeoutMs;
  let view: BatchBody;
  try {
    for (;;) {
      view = await ctx.client.batch(accepted.id);
      progress?.update(view.counts, view.total);
      if (view.done || Date.now() >= deadline || ctx.signal.aborted) break;
      await pause(ctx, ctx.intervalMs);
    }
  } finally {
    progress?.stop();
  }

  ctx.out(ctx.json ? JSON.stringify(view, null, 2) : `\n${renderBatch(view)}`);
  if (!view.done) {
    ctx.err(`batch ${view.id} has not ended yet; nic-attach status ${view.id} shows it later`);
    return EXIT_FAILED;
  }
  return view.counts.succeeded === view.total ? EXIT_OK : EXIT_FAILED;
}
