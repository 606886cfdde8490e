/**
 * The error-body shapes of huawei-cloud-api.md §6: VPC v1 `{code, message}`, ECS `{error: {code, message}}`,
 * the API gateway's `{error_code, error_msg, request_id}` and VPC v3's `{request_id, error_code, error_msg}` (the
 * same keys as the gateway's). Handlers throw EmulatorError; the HTTP layer renders it.
 */
import type { ServiceShape } from './route-types.js';

export type ErrorShape = ServiceShape | 'gateway' | 'control';

export class EmulatorError extends Error {
  readonly status: number;
  readonly code: string;
  readonly shape: ErrorShape;
  readonly headers: Record<string, string>;

  constructor(shape: ErrorShape, status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'EmulatorError';
    this.shape = shape;
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

export const vpcError = (status: number, code: string, message: string): EmulatorError =>
  new EmulatorError('vpc', status, code, message);

export const ecsError = (status: number, code: string, message: string): EmulatorError =>
  new EmulatorError('ecs', status, code, message);

export const gatewayError = (status: number, code: string, message: string, headers: Record<string, string> = {}): EmulatorError =>
  new EmulatorError('gateway', status, code, message, headers);

export const controlError = (status: number, code: string, message: string): EmulatorError =>
  new EmulatorError('control', status, code, message);

export const vpc3Error = (status: number, code: string, message: string): EmulatorError =>
  new EmulatorError('vpc3', status, code, message);

/** A service error in the shape of the service that answers (for faults that apply to any operation). */
export function serviceError(service: ServiceShape, status: number, code: string, message: string): EmulatorError {
  return new EmulatorError(service, status, code, message);
}

export function errorBody(err: EmulatorError, requestId: string): unknown {
  switch (err.shape) {
    case 'vpc':
      return { code: err.code, message: err.message };
    case 'ecs':
      return { error: { code: err.code, message: err.message } };
    case 'vpc3':
      return { request_id: requestId, error_code: err.code, error_msg: err.message };
    case 'gateway':
      return { error_code: err.code, error_msg: err.message, request_id: requestId };
    case 'control':
      return { error: { code: err.code, message: err.message } };
  }
}
