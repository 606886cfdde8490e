import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { classifyCloudError, DEFAULT_RETRY_AFTER_MS, parseErrorBody, parseRetryAfter, type ClassifyInput } from '../../../src/cloud/classify.js';
import { CloudError } from '../../../src/cloud/errors.js';

const NOW = Date.UTC(2024, 0, 15, 8, 30, 0);

interface Row {
  name: string;
  input: ClassifyInput;
  expect: {
    code: string;
    kind: CloudError['kind'];
    retryable: boolean;
    outcomeUnknown?: boolean;
    httpStatus?: number;
    cloudCode?: string;
    requestId?: string;
    retryAfterMs?: number;
    message?: RegExp;
    isNotFound?: boolean;
    isThrottled?: boolean;
  };
}

const res = (status: number, body: unknown, headers: Record<string, string> = {}, method = 'GET'): ClassifyInput => ({
  kind: 'response',
  operation: method === 'GET' ? 'ShowVpc' : 'CreateVpc',
  method,
  status,
  headers,
  bodyText: typeof body === 'string' ? body : JSON.stringify(body),
  now: NOW,
});

const rows: Row[] = [
  {
    name: 'ECS shape {error:{code,message}}',
    input: res(400, { error: { code: 'Ecs.0005', message: 'request body is illegal.' } }, { 'X-Request-Id': 'req-ecs' }),
    expect: { code: 'CLOUD_BAD_REQUEST', kind: 'http', retryable: false, httpStatus: 400, cloudCode: 'Ecs.0005', requestId: 'req-ecs', message: /request body is illegal/ },
  },
  {
    name: 'VPC v1 shape {code,message}',
    input: res(400, { code: 'VPC.0204', message: 'Subnet CIDR conflicts' }),
    expect: { code: 'CLOUD_BAD_REQUEST', kind: 'http', retryable: false, cloudCode: 'VPC.0204', message: /Subnet CIDR conflicts/ },
  },
  {
    name: 'gateway shape {error_code,error_msg,request_id}: request id from the body',
    input: res(401, { error_code: 'APIGW.0301', error_msg: 'Incorrect IAM authentication information: verify aksk signature fail', request_id: 'body-req' }),
    expect: { code: 'CLOUD_AUTH', kind: 'http', retryable: false, httpStatus: 401, cloudCode: 'APIGW.0301', requestId: 'body-req', message: /verify aksk signature fail/ },
  },
  {
    name: 'X-Request-Id header wins over body.request_id',
    input: res(401, { error_code: 'APIGW.0301', error_msg: 'x', request_id: 'body-req' }, { 'x-request-id': 'hdr-req' }),
    expect: { code: 'CLOUD_AUTH', kind: 'http', retryable: false, requestId: 'hdr-req' },
  },
  {
    name: 'nested one level (Neutron/Nova style)',
    input: res(404, { itemNotFound: { code: 'Ecs.0114', message: 'The ECS does not exist' } }),
    expect: { code: 'CLOUD_NOT_FOUND', kind: 'http', retryable: false, cloudCode: 'Ecs.0114', message: /ECS does not exist/, isNotFound: true },
  },
  {
    name: 'nested message without a code',
    input: res(409, { NeutronError: { type: 'PortInUse', message: 'Port is in use', detail: '' } }),
    expect: { code: 'CLOUD_CONFLICT', kind: 'http', retryable: false, message: /Port is in use/ },
  },
  {
    name: '429 without Retry-After → default pause',
    input: res(429, { error_code: 'APIGW.0308', error_msg: 'The throttling threshold has been reached' }),
    expect: { code: 'CLOUD_THROTTLED', kind: 'http', retryable: true, retryAfterMs: DEFAULT_RETRY_AFTER_MS, isThrottled: true },
  },
  {
    name: '429 with Retry-After seconds',
    input: res(429, '', { 'Retry-After': '7' }),
    expect: { code: 'CLOUD_THROTTLED', kind: 'http', retryable: true, retryAfterMs: 7000 },
  },
  {
    name: '429 with Retry-After HTTP-date',
    input: res(429, '', { 'Retry-After': new Date(NOW + 3000).toUTCString() }),
    expect: { code: 'CLOUD_THROTTLED', kind: 'http', retryable: true, retryAfterMs: 3000 },
  },
  {
    name: 'APIGW.0308 under another status is still throttling',
    input: res(403, { error_code: 'APIGW.0308', error_msg: 'policy user over ratelimit' }),
    expect: { code: 'CLOUD_THROTTLED', kind: 'http', retryable: true, cloudCode: 'APIGW.0308', retryAfterMs: DEFAULT_RETRY_AFTER_MS, isThrottled: true },
  },
  {
    name: 'Ecs.0603 (HTTP 501) server busy',
    input: res(501, { error: { code: 'Ecs.0603', message: 'Other commands are being executed on the ECS.' } }, {}, 'POST'),
    expect: { code: 'CLOUD_SERVER_BUSY', kind: 'http', retryable: true, httpStatus: 501, cloudCode: 'Ecs.0603', outcomeUnknown: false },
  },
  {
    name: 'VPC.0103 (409) resource busy',
    input: res(409, { code: 'VPC.0103', message: 'resource busy' }),
    expect: { code: 'CLOUD_RESOURCE_BUSY', kind: 'http', retryable: true, cloudCode: 'VPC.0103' },
  },
  {
    name: 'VPC.0110 (409) not in a stable status',
    input: res(409, { code: 'VPC.0110', message: 'not stable' }),
    expect: { code: 'CLOUD_RESOURCE_BUSY', kind: 'http', retryable: true, cloudCode: 'VPC.0110' },
  },
  {
    name: 'VPC.0205 (500) subnet status invalid',
    input: res(500, { code: 'VPC.0205', message: 'subnet status invalid' }),
    expect: { code: 'CLOUD_RESOURCE_BUSY', kind: 'http', retryable: true, cloudCode: 'VPC.0205' },
  },
  {
    name: 'VPC.0003 404',
    input: res(404, { code: 'VPC.0003', message: 'VPC does not exist' }),
    expect: { code: 'CLOUD_NOT_FOUND', kind: 'http', retryable: false, cloudCode: 'VPC.0003', isNotFound: true },
  },
  {
    name: 'VPC.0114 409 quota is a terminal conflict',
    input: res(409, { code: 'VPC.0114', message: "Quota exceeded for resources: ['router']" }),
    expect: { code: 'CLOUD_CONFLICT', kind: 'http', retryable: false, cloudCode: 'VPC.0114' },
  },
  {
    name: 'Ecs.0050 400 too many NICs',
    input: res(400, { error: { code: 'Ecs.0050', message: 'NIC quota' } }),
    expect: { code: 'CLOUD_BAD_REQUEST', kind: 'http', retryable: false, cloudCode: 'Ecs.0050' },
  },
  {
    name: '403 forbidden',
    input: res(403, { error: { code: 'Ecs.0003', message: 'no permission' } }),
    expect: { code: 'CLOUD_FORBIDDEN', kind: 'http', retryable: false, cloudCode: 'Ecs.0003' },
  },
  {
    name: 'non-JSON 502 page',
    input: res(502, '<html><body>Bad Gateway</body></html>', { 'X-Request-Id': 'gw-1' }),
    expect: { code: 'CLOUD_UNAVAILABLE', kind: 'http', retryable: true, httpStatus: 502, cloudCode: undefined, requestId: 'gw-1', message: /Bad Gateway/ },
  },
  {
    name: '504 of the gateway to a POST: the backend may have acted, outcome unknown',
    input: res(504, { error_code: 'APIGW.0201', error_msg: 'Backend timeout' }, {}, 'POST'),
    expect: { code: 'CLOUD_UNAVAILABLE', kind: 'http', retryable: true, httpStatus: 504, cloudCode: 'APIGW.0201', outcomeUnknown: true },
  },
  {
    name: '500 of the service to a POST: outcome unknown',
    input: res(500, { code: 'VPC.0105', message: 'backend error' }, {}, 'POST'),
    expect: { code: 'CLOUD_UNAVAILABLE', kind: 'http', retryable: true, cloudCode: 'VPC.0105', outcomeUnknown: true },
  },
  {
    name: 'VPC.0205 (500) to a POST is a refusal (busy), not an unknown outcome',
    input: res(500, { code: 'VPC.0205', message: 'subnet status invalid' }, {}, 'POST'),
    expect: { code: 'CLOUD_RESOURCE_BUSY', kind: 'http', retryable: true, cloudCode: 'VPC.0205', outcomeUnknown: false },
  },
  {
    name: '429 to a POST is a refusal',
    input: res(429, { error_code: 'APIGW.0308', error_msg: 'throttled' }, {}, 'POST'),
    expect: { code: 'CLOUD_THROTTLED', kind: 'http', retryable: true, retryAfterMs: DEFAULT_RETRY_AFTER_MS, isThrottled: true, outcomeUnknown: false },
  },
  {
    name: '503 with an empty body',
    input: res(503, ''),
    expect: { code: 'CLOUD_UNAVAILABLE', kind: 'http', retryable: true, message: /HTTP 503/ },
  },
  {
    name: 'unexpected 2xx of a POST: carried out, outcome unknown',
    input: res(200, { port: {} }, {}, 'POST'),
    expect: { code: 'CLOUD_UNEXPECTED_STATUS', kind: 'malformed', retryable: false, outcomeUnknown: true },
  },
  {
    name: 'a 3xx redirect is not followed',
    input: res(302, ''),
    expect: { code: 'CLOUD_UNEXPECTED_STATUS', kind: 'http', retryable: false, outcomeUnknown: false },
  },
  {
    name: 'network error (reset) on a GET',
    input: { kind: 'network', operation: 'ShowJob', method: 'GET', error: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) },
    expect: { code: 'CLOUD_NETWORK', kind: 'network', retryable: true, outcomeUnknown: false, message: /ECONNRESET/ },
  },
  {
    name: 'network error (reset) on a POST: outcome unknown',
    input: { kind: 'network', operation: 'CreatePort', method: 'POST', error: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) },
    expect: { code: 'CLOUD_NETWORK', kind: 'network', retryable: true, outcomeUnknown: true },
  },
  {
    name: 'connection refused on a POST: never sent, outcome known',
    input: { kind: 'network', operation: 'CreatePort', method: 'POST', error: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) },
    expect: { code: 'CLOUD_NETWORK', kind: 'network', retryable: true, outcomeUnknown: false },
  },
  {
    name: 'timeout on a GET',
    input: { kind: 'timeout', operation: 'ShowServer', method: 'GET', timeoutMs: 100 },
    expect: { code: 'CLOUD_TIMEOUT', kind: 'timeout', retryable: true, outcomeUnknown: false, message: /100 ms/ },
  },
  {
    name: 'timeout on a POST: outcome unknown',
    input: { kind: 'timeout', operation: 'BatchAddServerNics', method: 'POST', timeoutMs: 100 },
    expect: { code: 'CLOUD_TIMEOUT', kind: 'timeout', retryable: true, outcomeUnknown: true },
  },
  {
    name: 'timeout on a DELETE: outcome unknown',
    input: { kind: 'timeout', operation: 'DeletePort', method: 'DELETE', timeoutMs: 100 },
    expect: { code: 'CLOUD_TIMEOUT', kind: 'timeout', retryable: true, outcomeUnknown: true },
  },
  {
    name: 'malformed 2xx body',
    input: { kind: 'malformed', operation: 'ShowVpc', method: 'GET', status: 200, requestId: 'r1', problem: '/vpc/status: Expected union value' },
    expect: { code: 'CLOUD_MALFORMED_RESPONSE', kind: 'malformed', retryable: false, outcomeUnknown: false, requestId: 'r1', message: /\/vpc\/status/ },
  },
];

describe('classifyCloudError table', () => {
  assert.ok(rows.length >= 20);
  for (const row of rows) {
    it(row.name, () => {
      const err = classifyCloudError(row.input);
      assert.ok(err instanceof CloudError);
      const e = row.expect;
      assert.equal(err.code, e.code, 'code');
      assert.equal(err.kind, e.kind, 'kind');
      assert.equal(err.retryable, e.retryable, 'retryable');
      assert.equal(err.outcomeUnknown, e.outcomeUnknown ?? false, 'outcomeUnknown');
      if ('httpStatus' in e) assert.equal(err.cloudHttpStatus, e.httpStatus, 'httpStatus');
      if ('cloudCode' in e) assert.equal(err.cloudCode, e.cloudCode, 'cloudCode');
      if ('requestId' in e) assert.equal(err.requestId, e.requestId, 'requestId');
      assert.equal(err.retryAfterMs, e.retryAfterMs, 'retryAfterMs');
      if (e.message) assert.match(err.message, e.message);
      if (e.isNotFound !== undefined) assert.equal(err.isNotFound, e.isNotFound);
      if (e.isThrottled !== undefined) assert.equal(err.isThrottled, e.isThrottled);
      assert.equal(err.operation, row.input.operation);
    });
  }
});

describe('error body parsing and Retry-After', () => {
  it('falls back to the raw text (truncated) when the body is not JSON', () => {
    const parsed = parseErrorBody('x'.repeat(2000));
    assert.equal(parsed.cloudCode, undefined);
    assert.equal(parsed.message?.length, 500);
  });

  it('ignores a non-string code (Nova numeric codes are HTTP statuses)', () => {
    assert.deepEqual(parseErrorBody('{"itemNotFound":{"code":404,"message":"Instance not found"}}'), {
      cloudCode: undefined,
      message: 'Instance not found',
      requestId: undefined,
    });
  });

  it('parses Retry-After forms and rejects garbage', () => {
    assert.equal(parseRetryAfter('0', NOW), 0);
    assert.equal(parseRetryAfter(' 2 ', NOW), 2000);
    assert.equal(parseRetryAfter(new Date(NOW - 5000).toUTCString(), NOW), 0);
    assert.equal(parseRetryAfter('soon', NOW), undefined);
    assert.equal(parseRetryAfter(undefined, NOW), undefined);
  });

  it('keeps error details in toJSON without secrets or stack', () => {
    const err = classifyCloudError(res(404, { code: 'VPC.0003', message: 'VPC does not exist' }, { 'x-request-id': 'r9' }));
    assert.deepEqual(err.toJSON(), {
      code: 'CLOUD_NOT_FOUND',
      message: err.message,
      retryable: false,
      details: { operation: 'ShowVpc', http_status: 404, cloud_code: 'VPC.0003', request_id: 'r9' },
    });
  });
});
