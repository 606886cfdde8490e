/**
 * The typed cloud error. Built only by classifyCloudError() (./classify.ts) from an HTTP response, a network
 * error or a timeout; everything above src/cloud reasons about `code`, `cloudCode`, `retryable`,
 * `retryAfterMs` and `outcomeUnknown`, never about response bodies.
 */
import { AppError } from '../lib/errors.js';
import type { OperationName } from './types.js';

export type CloudErrorKind =
  /** The service answered with an error body (any of the three shapes). */
  | 'http'
  /** The connection failed before an answer (refused, reset, DNS). */
  | 'network'
  /** No answer within the per-request timeout. */
  | 'timeout'
  /** A 2xx answer whose body is not what the API defines. */
  | 'malformed';

export interface CloudErrorFields {
  kind: CloudErrorKind;
  operation: OperationName;
  httpStatus?: number;
  /** The cloud's own code: `Ecs.0603`, `VPC.0115`, `APIGW.0308`, ... */
  cloudCode?: string;
  requestId?: string;
  retryable: boolean;
  /** For 429 / APIGW.0308: how long to pause (Retry-After, or a default). */
  retryAfterMs?: number;
  /**
   * The request may have been carried out although no answer arrived (a create whose connection dropped or
   * timed out). Retryable, but the caller must look the resource up before creating again.
   */
  outcomeUnknown: boolean;
  cause?: unknown;
}

export class CloudError extends AppError {
  readonly kind: CloudErrorKind;
  readonly operation: OperationName;
  readonly cloudHttpStatus: number | undefined;
  readonly cloudCode: string | undefined;
  readonly requestId: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly outcomeUnknown: boolean;

  constructor(code: string, message: string, f: CloudErrorFields) {
    super(code, message, {
      retryable: f.retryable,
      cause: f.cause,
      details: {
        operation: f.operation,
        ...(f.httpStatus === undefined ? {} : { http_status: f.httpStatus }),
        ...(f.cloudCode === undefined ? {} : { cloud_code: f.cloudCode }),
        ...(f.requestId === undefined ? {} : { request_id: f.requestId }),
      },
    });
    this.kind = f.kind;
    this.operation = f.operation;
    this.cloudHttpStatus = f.httpStatus;
    this.cloudCode = f.cloudCode;
    this.requestId = f.requestId;
    this.retryAfterMs = f.retryAfterMs;
    this.outcomeUnknown = f.outcomeUnknown;
  }

  get isNotFound(): boolean {
    return this.cloudHttpStatus === 404;
  }

  get isThrottled(): boolean {
    return this.cloudHttpStatus === 429 || this.cloudCode === 'APIGW.0308';
  }
}

export function isCloudError(err: unknown): err is CloudError {
  return err instanceof CloudError;
}
