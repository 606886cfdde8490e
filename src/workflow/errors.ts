/**
 * The workflow's own error codes. A stage reports a terminal condition as a WorkflowError (an AppError that
 * is not retryable); the queue layer fails the attachment with its code at once. Retryable conditions are
 * thrown as CloudErrors by the cloud client and retried with backoff.
 */
import { AppError } from '../lib/errors.js';

export const WORKFLOW_ERROR_CODES = [
  'SERVER_NOT_FOUND',
  'SERVER_STATE_INVALID',
  'NIC_LIMIT_REACHED',
  'VPC_NOT_FOUND',
  'VPC_MISMATCH',
  'VPC_CONFLICT',
  'VPC_ERROR',
  'SUBNET_NOT_FOUND',
  'SUBNET_NOT_IN_VPC',
  'SUBNET_CONFLICT',
  'SUBNET_ERROR',
  'FIXED_IP_IN_USE',
  'PORT_NOT_ATTACHABLE',
  'NIC_NOT_ATTACHED',
  'ECS_JOB_FAILED',
  'ECS_JOB_TIMEOUT',
  'ECS_JOB_NOT_FOUND',
  'STAGE_RETRIES_EXHAUSTED',
  'ATTACHMENT_NOT_FOUND',
  'ATTACHMENT_NOT_CANCELLABLE',
] as const;
export type WorkflowErrorCode = (typeof WORKFLOW_ERROR_CODES)[number];

export interface WorkflowErrorDetails {
  cloud_code?: string;
  request_id?: string;
  [key: string]: unknown;
}

export class WorkflowError extends AppError {
  readonly cloudCode: string | undefined;
  readonly requestId: string | undefined;

  constructor(code: WorkflowErrorCode, message: string, details: WorkflowErrorDetails = {}, options: { cause?: unknown; httpStatus?: number } = {}) {
    super(code, message, { retryable: false, details, ...options });
    this.cloudCode = details.cloud_code;
    this.requestId = details.request_id;
  }
}

export function terminal(code: WorkflowErrorCode, message: string, details: WorkflowErrorDetails = {}): WorkflowError {
  return new WorkflowError(code, message, details);
}
