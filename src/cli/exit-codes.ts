/**
 * Exit codes of the command-line client, for scripts:
 *   0  everything asked for succeeded (or was accepted, for commands that do not wait)
 *   1  something failed: an attachment or batch item failed or was cancelled, or the API refused the request
 *   2  usage error: unknown command, bad or missing flags, unreadable input file
 *   3  the service is unreachable: connection refused or timed out, or the API answered 503 (Redis down)
 */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_UNREACHABLE = 3;

/** Bad flags or input: printed with the usage hint, exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
