/**
 * `nic-attach status <id>`: an attachment (att_…) or a batch (bat_…). Exit 0 unless the attachment, or an item
 * of the batch, failed or was cancelled (1); an unknown id is 1 too.
 */
import type { CliContext } from './context.js';
import { EXIT_FAILED, EXIT_OK, UsageError } from './exit-codes.js';
import { renderAttachment, renderBatch } from './render.js';

export const STATUS_USAGE = `usage: nic-attach status <att_… | bat_…> [--json]

  Shows an attachment (its stage, what was created, the error) or a batch (counts by status and its items).
  Exit 0 unless it (or a batch item) failed or was cancelled.`;

export async function runStatus(ctx: CliContext, positionals: string[]): Promise<number> {
  const [id, ...extra] = positionals;
  if (!id) throw new UsageError('status needs an id: nic-attach status <att_… | bat_…>');
  if (extra.length > 0) throw new UsageError(`status takes one id (got "${positionals.join(' ')}")`);
  if (id.startsWith('att_')) {
    const record = await ctx.client.attachment(id);
    ctx.out(ctx.json ? JSON.stringify(record, null, 2) : renderAttachment(record));
    return record.status === 'failed' || record.status === 'cancelled' ? EXIT_FAILED : EXIT_OK;
  }
  if (id.startsWith('bat_')) {
    const batch = await ctx.client.batch(id);
    ctx.out(ctx.json ? JSON.stringify(batch, null, 2) : renderBatch(batch));
    return batch.counts.failed + batch.counts.cancelled > 0 ? EXIT_FAILED : EXIT_OK;
  }
  throw new UsageError(`"${id}" is neither an attachment id (att_…) nor a batch id (bat_…)`);
}
