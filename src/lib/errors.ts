/**
 * The one error taxonomy of the project. Every failure that crosses a module boundary is an AppError with a
 * stable `code` (logged, returned by the API, stored in attachment records), whether it may be retried, and
 * the underlying cause. Cloud errors (src/cloud/errors.ts) and API errors extend it.
 */
export interface AppErrorOptions {
  retryable?: boolean;
  cause?: unknown;
  /** Structured facts for logs and API error `details` (never secrets). */
  details?: Record<string, unknown>;
  /** HTTP status to use when this error reaches the API. */
  httpStatus?: number;
}

export class AppError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;
  readonly httpStatus: number | undefined;

  constructor(code: string, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details;
    this.httpStatus = options.httpStatus;
  }

  /** The shape stored in records and logged: no stack, no cause object. */
  toJSON(): { code: string; message: string; retryable: boolean; details?: Record<string, unknown> } {
    return {
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }
}

/** Configuration that fails validation; main prints `message` alone and exits non-zero. */
export class ConfigError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('CONFIG_INVALID', message, { retryable: false, ...(details ? { details } : {}) });
  }
}

/** Bad input from a caller (API body, CLI flags, producer arguments). Changes nothing. */
export class ValidationError extends AppError {
  constructor(message: string, details?: Record<string, unknown>, code = 'VALIDATION_FAILED') {
    super(code, message, { retryable: false, httpStatus: 400, ...(details ? { details } : {}) });
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

/** Turn anything thrown into an AppError, keeping the original as the cause. */
export function toAppError(err: unknown, fallbackCode = 'INTERNAL'): AppError {
  if (err instanceof AppError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new AppError(fallbackCode, message, { cause: err });
}
