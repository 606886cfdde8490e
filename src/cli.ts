/**
 * The command-line client (`nic-attach submit | batch | status | watch`), a front end of the HTTP API. The API
 * URL and key come from --api / --key, else config (NIC_ATTACH_API_URL, NIC_ATTACH_API_KEY). Also runnable
 * directly: `node --import tsx src/cli.ts status att_…`.
 *
 * Exit codes (src/cli/exit-codes.ts): 0 all succeeded, 1 some failed, 2 usage error (bad flags or input, also
 * when the API refuses the request with a 4xx), 3 service unreachable or busy: retry later.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadConfig } from './config/load.js';
import { ConfigError } from './lib/errors.js';
import { ApiError, createApiClient, UnreachableError } from './cli/client.js';
import { positiveInt, type CliContext } from './cli/context.js';
import { EXIT_FAILED, EXIT_UNREACHABLE, EXIT_USAGE, exitCodeOfRefusal, UsageError } from './cli/exit-codes.js';
import { BATCH_OPTIONS, BATCH_USAGE, runBatch, type BatchValues } from './cli/batch.js';
import { runStatus, STATUS_USAGE } from './cli/status.js';
import { runSubmit, SUBMIT_OPTIONS, SUBMIT_USAGE, type SubmitValues } from './cli/submit.js';
import { runWatch, WATCH_OPTIONS, WATCH_USAGE, type WatchValues } from './cli/watch.js';

export const CLI_USAGE = `usage: nic-attach <command> [options]

  submit      enqueue one attachment (flags or --file req.json); --wait follows it to the end
  batch <f>   enqueue a JSON-lines or CSV file as one batch, with progress and a summary
  status <id> show an attachment (att_…) or a batch (bat_…)
  watch       print completion events as they happen

common options:
  --api <url>      API base URL (default: NIC_ATTACH_API_URL or http://127.0.0.1:8080)
  --key <key>      API key (default: NIC_ATTACH_API_KEY)
  --json           machine-readable output
  -h, --help       help (also: nic-attach <command> --help)

exit codes: 0 all succeeded, 1 some failed, 2 usage error (also a request or file the API refuses),
            3 service unreachable or unavailable: retry later (with the same --idempotency-key)`;

const COMMON_OPTIONS = {
  api: { type: 'string' },
  key: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  interval: { type: 'string' },
  timeout: { type: 'string' },
} as const;

const COMMANDS: Record<string, { options: NonNullable<ParseArgsConfig['options']>; usage: string }> = {
  submit: { options: SUBMIT_OPTIONS, usage: SUBMIT_USAGE },
  batch: { options: BATCH_OPTIONS, usage: BATCH_USAGE },
  status: { options: {}, usage: STATUS_USAGE },
  watch: { options: WATCH_OPTIONS, usage: WATCH_USAGE },
};

/** config/ beside src/ or dist/, so the client finds the overlays from any working directory. */
function configDir(): string | undefined {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'config');
  return existsSync(dir) ? dir : undefined;
}

interface Io {
  out(text: string): void;
  err(text: string): void;
  tty: boolean;
}

const consoleIo: Io = {
  out: (text) => console.log(text),
  err: (text) => console.error(text),
  tty: process.stdout.isTTY === true,
};

/** Run one client command; resolves with the exit code (never calls process.exit). */
export async function runCli(argv: string[], io: Io = consoleIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    io.out(CLI_USAGE);
    return command === undefined ? EXIT_USAGE : 0;
  }
  const spec = COMMANDS[command];
  if (!spec) {
    io.err(`unknown command "${command}"\n\n${CLI_USAGE}`);
    return EXIT_USAGE;
  }

  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: rest, options: { ...COMMON_OPTIONS, ...spec.options }, strict: true, allowPositionals: true }) as typeof parsed;
  } catch (err) {
    io.err(`${(err as Error).message}\n\n${spec.usage}`);
    return EXIT_USAGE;
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    io.out(spec.usage);
    return 0;
  }

  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const dir = configDir();
    const config = loadConfig(dir ? { configDir: dir } : {});
    const url = (values.api as string | undefined) ?? config.cli.apiUrl;
    if (!/^https?:\/\/[^/]/.test(url)) throw new UsageError(`--api must be an http(s) URL, got "${url}"`);
    const ctx: CliContext = {
      client: createApiClient({ url, key: (values.key as string | undefined) ?? config.cli.apiKey }),
      json: values.json === true,
      // CI=true: plain progress lines even when a CI runner gives the job a pseudo-terminal.
      tty: io.tty && !config.ci,
      intervalMs: positiveInt('interval', values.interval as string | undefined, 1000),
      waitTimeoutMs: positiveInt('timeout', values.timeout as string | undefined, 1_800_000),
      signal: abort.signal,
      out: io.out,
      err: io.err,
    };
    switch (command) {
      case 'submit':
        return await runSubmit(ctx, values as SubmitValues, positionals);
      case 'batch':
        return await runBatch(ctx, values as BatchValues, positionals);
      case 'status':
        return await runStatus(ctx, positionals);
      default:
        return await runWatch(ctx, values as WatchValues, positionals);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`${err.message}\n\n${spec.usage}`);
      return EXIT_USAGE;
    }
    if (err instanceof ConfigError) {
      io.err(err.message);
      return EXIT_USAGE;
    }
    if (err instanceof UnreachableError) {
      io.err(err.message);
      // The write may have landed: say how to find out, and how to retry without a second attachment.
      if (err.code === 'OUTCOME_UNKNOWN' && typeof err.details.id === 'string') {
        io.err(`nic-attach status ${err.details.id} shows whether it was enqueued; rerun with the same --idempotency-key to be safe`);
      }
      return EXIT_UNREACHABLE;
    }
    if (err instanceof ApiError) {
      const field = typeof err.details.field === 'string' ? ` [${err.details.field}]` : '';
      io.err(`error (${err.status} ${err.code})${field}: ${err.message}`);
      return exitCodeOfRefusal(err.status);
    }
    io.err(err instanceof Error ? err.message : String(err));
    return EXIT_FAILED;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

// Run directly (`node --import tsx src/cli.ts …`): the launcher and src/main.ts import runCli instead.
if (process.argv[1] && pathToFileURL(resolve(process.argv[1])).href === import.meta.url) {
  runCli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : String(err));
      process.exitCode = EXIT_FAILED;
    },
  );
}
