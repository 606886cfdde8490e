/**
 * `nic-attach submit`: one attachment from flags or a JSON file; prints its id. With --wait, follows it to the
 * end and exits 0 when it succeeded, 1 when it failed or was cancelled.
 */
import type { AttachmentRecord, AttachmentRequest } from '../workflow/types.js';
import { TERMINAL_STATUSES } from '../workflow/types.js';
import { pause, type CliContext } from './context.js';
import { EXIT_FAILED, EXIT_OK, UsageError } from './exit-codes.js';
import { readRequestFile, requestFromFlags, type SubmitFlags } from './input.js';
import { renderAttachment } from './render.js';

export const SUBMIT_USAGE = `usage: nic-attach submit --server <id> [where] [port options] [--wait]
       nic-attach submit --file req.json [--wait]

  --server <uuid>              the ECS server that receives the NIC (required without --file)
  --vpc-id <uuid>              an existing VPC, or
  --vpc-name <n> --vpc-cidr <cidr>   a VPC to find or create
  --subnet-id <uuid>           an existing subnet, or
  --subnet-name <n> --subnet-cidr <cidr> [--gateway-ip <ip>]   a subnet to find or create
  --fixed-ip <ip>              the port's IPv4 address
  --security-group <uuid>      repeatable (or comma-separated)
  --callback-url <url>         receives the completion event as a signed webhook
  --metadata key=value         repeatable
  --file <req.json>            the whole request as JSON (instead of the flags above)
  --idempotency-key <key>      a retry with the same key and body returns the same attachment
  --wait                       follow the attachment to its end (exit 0 succeeded, 1 failed/cancelled)`;

export const SUBMIT_OPTIONS = {
  server: { type: 'string' },
  'vpc-id': { type: 'string' },
  'vpc-name': { type: 'string' },
  'vpc-cidr': { type: 'string' },
  'subnet-id': { type: 'string' },
  'subnet-name': { type: 'string' },
  'subnet-cidr': { type: 'string' },
  'gateway-ip': { type: 'string' },
  'fixed-ip': { type: 'string' },
  'security-group': { type: 'string', multiple: true },
  'callback-url': { type: 'string' },
  metadata: { type: 'string', multiple: true },
  file: { type: 'string' },
  'idempotency-key': { type: 'string' },
  wait: { type: 'boolean' },
} as const;

export type SubmitValues = SubmitFlags & { file?: string; 'idempotency-key'?: string; wait?: boolean };

const REQUEST_FLAGS: ReadonlyArray<keyof SubmitFlags> = [
  'server',
  'vpc-id',
  'vpc-name',
  'vpc-cidr',
  'subnet-id',
  'subnet-name',
  'subnet-cidr',
  'gateway-ip',
  'fixed-ip',
  'security-group',
  'callback-url',
  'metadata',
];

/** Follow an attachment until it ends (or the wait times out / is interrupted). */
export async function followAttachment(ctx: CliContext, id: string): Promise<AttachmentRecord> {
  const deadline = Date.now() + ctx.waitTimeoutMs;
  let lastStage = '';
  for (;;) {
    const record = await ctx.client.attachment(id);
    if (TERMINAL_STATUSES.includes(record.status)) return record;
    if (!ctx.json && `${record.status}/${record.stage}` !== lastStage) {
      ctx.out(`${id}: ${record.status} at ${record.stage}`);
      lastStage = `${record.status}/${record.stage}`;
    }
    if (Date.now() >= deadline || ctx.signal.aborted) return record;
    await pause(ctx, ctx.intervalMs);
  }
}

export async function runSubmit(ctx: CliContext, values: SubmitValues, positionals: string[]): Promise<number> {
  if (positionals.length > 0) throw new UsageError(`submit takes no positional arguments (got "${positionals.join(' ')}")`);
  let request: AttachmentRequest;
  if (values.file !== undefined) {
    const mixed = REQUEST_FLAGS.filter((f) => values[f] !== undefined);
    if (mixed.length > 0) throw new UsageError(`--file replaces the request flags; drop --${mixed.join(', --')}`);
    request = await readRequestFile(values.file);
  } else {
    request = requestFromFlags(values);
  }
  const accepted = await ctx.client.submit(request, values['idempotency-key']);
  if (!values.wait) {
    if (ctx.json) ctx.out(JSON.stringify(accepted, null, 2));
    else ctx.out(`accepted ${accepted.id} (${accepted.status})`);
    return EXIT_OK;
  }
  if (!ctx.json) ctx.out(`accepted ${accepted.id}; waiting for it to end`);
  const record = await followAttachment(ctx, accepted.id);
  ctx.out(ctx.json ? JSON.stringify(record, null, 2) : renderAttachment(record));
  if (!TERMINAL_STATUSES.includes(record.status)) {
    ctx.err(`${record.id} has not ended yet (${record.status} at ${record.stage})`);
    return EXIT_FAILED;
  }
  return record.status === 'succeeded' ? EXIT_OK : EXIT_FAILED;
}
