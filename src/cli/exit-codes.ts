/**
 * Exit codes of the command-line client, for scripts. Each tells a script what to do next:
 *   0  everything asked for succeeded (or was accepted, for commands that do not wait) — nothing;
 *   1  the work ran and some of it failed: an attachment or batch item failed or was cancelled, the wait ended
 *      before the end (--timeout, Ctrl-C), or the API failed unexpectedly (500) — look at the items;
 *   2  usage: the command as given cannot succeed, fix it before running it again — unknown command, bad or
 *      missing flags, an unreadable input file, and the API refusing the request (any 4xx but 408/429: an
 *      invalid request or batch file, a wrong key, an unknown id, an Idempotency-Key used with another body);
 *   3  retry later, unchanged: the service could not be reached (connection refused, no answer in time) or
 *      answered 502/503/504/408/429 (Redis down: REDIS_UNAVAILABLE, or OUTCOME_UNKNOWN — rerun with the same
 *      --idempotency-key). Not folded into 1: rerunning is right here and wrong after 1 (it would enqueue the
 *      failed items again), and not into 2: nothing in the command needs to change.
 */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_UNREACHABLE = 3;

/** The exit code of an answer the API refused with `status` (a 4xx or 5xx that is not "retry later"). */
export function exitCodeOfRefusal(status: number): number {
  return status >= 400 && status < 500 ? EXIT_USAGE : EXIT_FAILED;
}

/** Bad flags or input: printed with the usage hint, exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
