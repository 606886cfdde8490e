/**
 * How errors become queue actions (retry with backoff, pause for a throttle, fail the attachment) and what
 * the record keeps of them; and that stage retries use the configured jittered backoff.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CloudError } from '../../../src/cloud/errors.js';
import { AppError } from '../../../src/lib/errors.js';
import { loadConfig } from '../../../src/config/load.js';
import { decideOnError } from '../../../src/queues/error-policy.js';
import { workerOptions } from '../../../src/queues/worker-runtime.js';
import { terminal } from '../../../src/workflow/errors.js';
import { toAttachmentError } from '../../../src/workflow/outcome.js';
import type { Redis } from 'ioredis';

function cloud(code: string, f: { retryable: boolean; status?: number; cloudCode?: string; retryAfterMs?: number }): CloudError {
  return new CloudError(code, `${code}!`, {
    kind: 'http',
    operation: 'CreatePort',
    httpStatus: f.status ?? 500,
    retryable: f.retryable,
    outcomeUnknown: false,
    requestId: 'rid-7',
    ...(f.cloudCode ? { cloudCode: f.cloudCode } : {}),
    ...(f.retryAfterMs === undefined ? {} : { retryAfterMs: f.retryAfterMs }),
  });
}

describe('error policy', () => {
  const table: Array<[string, unknown, number, string, string?]> = [
    ['429 pauses for Retry-After', cloud('CLOUD_THROTTLED', { retryable: true, status: 429, cloudCode: 'APIGW.0308', retryAfterMs: 3000 }), 1, 'throttle'],
    ['429 pauses even on the last attempt', cloud('CLOUD_THROTTLED', { retryable: true, status: 429, retryAfterMs: 1000 }), 10, 'throttle'],
    ['5xx retries', cloud('CLOUD_UNAVAILABLE', { retryable: true, status: 503 }), 1, 'retry'],
    ['5xx on the last attempt fails, keeping the code', cloud('CLOUD_UNAVAILABLE', { retryable: true, status: 503 }), 10, 'fail', 'CLOUD_UNAVAILABLE'],
    ['4xx fails at once', cloud('CLOUD_BAD_REQUEST', { retryable: false, status: 400, cloudCode: 'VPC.0201' }), 1, 'fail', 'CLOUD_BAD_REQUEST'],
    ['a workflow error fails at once', terminal('VPC_MISMATCH', 'not the server VPC'), 1, 'fail', 'VPC_MISMATCH'],
    ['an unknown error (Redis hiccup) retries', new Error('Connection is closed.'), 1, 'retry'],
    ['an unknown error on the last attempt fails as INTERNAL', new Error('boom'), 10, 'fail', 'INTERNAL'],
  ];
  for (const [name, err, attempt, action, code] of table) {
    it(name, () => {
      const d = decideOnError(err, attempt, 10);
      assert.equal(d.action, action);
      if (code) assert.equal(d.error.code, code);
      if (d.action === 'throttle') assert.equal(d.pauseMs, (err as CloudError).retryAfterMs);
      if (d.action === 'fail') assert.equal(d.exhausted, attempt >= 10 && (d.error.retryable || !(err instanceof AppError)));
    });
  }

  it('keeps code, message, stage, cloud code and request id in the record', () => {
    assert.deepEqual(toAttachmentError(cloud('CLOUD_CONFLICT', { retryable: false, status: 409, cloudCode: 'VPC.0701' }), 'port'), {
      code: 'CLOUD_CONFLICT',
      message: 'CLOUD_CONFLICT!',
      stage: 'port',
      cloud_code: 'VPC.0701',
      request_id: 'rid-7',
      retryable: false,
    });
    const e = toAttachmentError(terminal('ECS_JOB_FAILED', 'job failed', { cloud_code: 'Ecs.0217' }), 'poll');
    assert.equal(e.cloud_code, 'Ecs.0217');
    assert.equal(e.request_id, undefined);
  });
});

describe('stage retry backoff', () => {
  it('grows exponentially with jitter, capped by config', () => {
    const config = loadConfig({ env: { APP_ENV: 'test' }, overrides: { workflow: { backoffBaseMs: 100, backoffMaxMs: 1000 } } });
    const strategy = workerOptions({ config, connection: {} as Redis }, 'port').settings?.backoffStrategy;
    assert.ok(strategy);
    for (let attempt = 1; attempt <= 8; attempt += 1) {
      const cap = Math.min(1000, 100 * 2 ** (attempt - 1));
      for (let i = 0; i < 50; i += 1) {
        const d = strategy(attempt) as number;
        assert.ok(d >= cap / 2 && d <= cap, `attempt ${attempt}: ${d} not in [${cap / 2}, ${cap}]`);
      }
    }
  });
});
