/**
 * /metrics, /healthz and /readyz of a whole app (embedded emulator, events, workers, API): after real
 * attachments (successes, a VPC mismatch, throttled calls) and webhook deliveries, every family the issue asks
 * for has the values that happened; /readyz counts live worker processes, also from an API-only process.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { waitUntil } from '../../../src/lib/wait.js';
import type { AttachmentRecord } from '../../../src/workflow/types.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../helpers/webhook-receiver.js';
import { metric, opsConfig, startOpsApp, type OpsApp } from './harness.js';

async function waitEnded(ops: OpsApp, ids: string[]): Promise<AttachmentRecord[]> {
  let records: AttachmentRecord[] = [];
  await waitUntil(
    async () => {
      records = await Promise.all(ids.map(async (id) => (await ops.call<AttachmentRecord>('GET', `/v1/attachments/${id}`)).body));
      return records.every((r) => ['succeeded', 'failed', 'cancelled'].includes(r.status)) ? true : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  );
  return records;
}

describe('operations endpoints of a whole app', () => {
  let ops: OpsApp;
  let receiver: WebhookReceiver;

  before(async () => {
    ops = await startOpsApp();
    receiver = await startWebhookReceiver();
  });
  after(async () => {
    await ops?.stop();
    await receiver?.close();
  });

  it('serves /healthz and /metrics without a key, and /readyz says ready with one live worker process', async () => {
    assert.equal((await ops.call('GET', '/healthz', { key: null })).status, 200);
    const ready = await ops.call<{ status: string; checks: Record<string, { ok: boolean; detail?: string }> }>('GET', '/readyz', { key: null });
    assert.equal(ready.status, 200, ready.text);
    assert.equal(ready.body.checks.redis?.ok, true);
    assert.equal(ready.body.checks.workers?.ok, true);
    assert.match(ready.body.checks.workers?.detail ?? '', /1 worker process alive/);
    const m = await ops.call('GET', '/metrics', { key: null });
    assert.equal(m.status, 200);
    assert.match(m.headers.get('content-type') ?? '', /text\/plain/);
    assert.equal(metric(m.text, 'nic_attach_worker_processes'), 1);
    // The event-loop lag of this process (prom-client default metrics, monitorEventLoopDelay).
    assert.notEqual(metric(m.text, 'nodejs_eventloop_lag_seconds'), undefined);
    assert.notEqual(metric(m.text, 'nodejs_eventloop_lag_p99_seconds'), undefined);
  });

  it('counts attachments by status, stage durations, cloud calls, polls, queue depths and webhook deliveries', async () => {
    const control = ops.control!;
    const sub = await ops.call<{ secret: string }>('POST', '/v1/webhooks', { body: { url: receiver.url } });
    assert.equal(sub.status, 201, sub.text);
    const a = control.createServer({ name: 'm-a' });
    const b = control.createServer({ name: 'm-b', vpc_id: a.metadata.vpc_id });
    const elsewhere = control.createServer({ name: 'm-other' });
    const items = [
      { server_id: a.id, subnet: { name: 'm-net', cidr: '192.168.30.0/24' } },
      { server_id: b.id, subnet: { name: 'm-net', cidr: '192.168.30.0/24' } },
      { server_id: a.id, subnet: { name: 'm-net', cidr: '192.168.30.0/24' } },
      { server_id: elsewhere.id, vpc: { id: a.metadata.vpc_id as string }, subnet: { name: 'm-net', cidr: '192.168.30.0/24' } },
    ];
    const batch = await ops.call<{ attachment_ids: string[] }>('POST', '/v1/batches', { body: { items } });
    assert.equal(batch.status, 202, batch.text);
    const records = await waitEnded(ops, batch.body.attachment_ids);
    assert.deepEqual(records.map((r) => r.status), ['succeeded', 'succeeded', 'succeeded', 'failed']);
    await receiver.waitForRequests(5, 15_000); // 4 attachment events + batch.completed
    const polls = records.filter((r) => r.status === 'succeeded').reduce((n, r) => n + (r.poll_count ?? 0), 0);

    let text = '';
    await waitUntil(
      async () => {
        text = (await ops.call('GET', '/metrics', { key: null })).text;
        return (metric(text, 'nic_attach_webhook_deliveries_total', { outcome: 'delivered' }) ?? 0) >= 5 ? true : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    assert.equal(metric(text, 'nic_attach_attachments', { status: 'succeeded' }), 3);
    assert.equal(metric(text, 'nic_attach_attachments', { status: 'failed' }), 1);
    assert.equal(metric(text, 'nic_attach_attachments', { status: 'queued' }), 0);
    assert.equal(metric(text, 'nic_attach_attachments_finished_total', { status: 'succeeded', code: 'none' }), 3);
    assert.equal(metric(text, 'nic_attach_attachments_finished_total', { status: 'failed', code: 'VPC_MISMATCH' }), 1);
    assert.equal(metric(text, 'nic_attach_stage_duration_seconds_count', { stage: 'poll', outcome: 'succeeded' }), 3);
    assert.equal(metric(text, 'nic_attach_stage_duration_seconds_count', { stage: 'network', outcome: 'next' }), 3);
    assert.equal(metric(text, 'nic_attach_stage_duration_seconds_count', { stage: 'network', outcome: 'failed' }), 1);
    assert.equal(metric(text, 'nic_attach_cloud_calls_total', { operation: 'BatchAddServerNics', outcome: 'ok', status: '200' }), 3);
    assert.equal(metric(text, 'nic_attach_cloud_calls_total', { operation: 'CreatePort', outcome: 'ok', status: '201' }), 3);
    assert.equal(metric(text, 'nic_attach_ecs_polls_per_attachment_count'), 3);
    assert.equal(metric(text, 'nic_attach_ecs_polls_per_attachment_sum'), polls);
    assert.ok((metric(text, 'nic_attach_queue_jobs', { queue: 'network', state: 'completed' }) ?? 0) >= 4, 'network jobs completed');
    assert.equal(metric(text, 'nic_attach_queue_jobs', { queue: 'poll', state: 'waiting' }), 0);
    assert.notEqual(metric(text, 'nic_attach_queue_jobs', { queue: 'webhook', state: 'completed' }), undefined);
    assert.ok((metric(text, 'nic_attach_http_requests_total', { method: 'POST', route: '/v1/batches', status: '202' }) ?? 0) >= 1);
  });

  it('counts throttled cloud calls (429) by operation, and the attachments still succeed', async () => {
    const control = ops.control!;
    const a = control.createServer({ name: 't-a' });
    const b = control.createServer({ name: 't-b' });
    control.configure({ faults: { throttle_rps: 3 } });
    try {
      const batch = await ops.call<{ attachment_ids: string[] }>('POST', '/v1/batches', { body: { items: [{ server_id: a.id }, { server_id: b.id }] } });
      assert.equal(batch.status, 202, batch.text);
      const records = await waitEnded(ops, batch.body.attachment_ids);
      assert.deepEqual(records.map((r) => r.status), ['succeeded', 'succeeded']);
    } finally {
      control.configure({ faults: { throttle_rps: 0 } });
    }
    const text = (await ops.call('GET', '/metrics', { key: null })).text;
    const throttled = text.split('\n').filter((l) => l.startsWith('nic_attach_cloud_throttled_total{'));
    assert.ok(throttled.length > 0, 'some operation was throttled');
    const total429 = text
      .split('\n')
      .filter((l) => l.startsWith('nic_attach_cloud_calls_total{') && l.includes('status="429"'))
      .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
    const totalThrottled = throttled.reduce((n, l) => n + Number(l.split(' ').pop()), 0);
    assert.ok(total429 > 0);
    assert.equal(totalThrottled, total429);
  });

  it('an API-only process reports worker liveness from the heartbeats: ready while a worker runs, 503 once none does', async () => {
    const apiOnly = await startOpsApp({ roles: ['api'], config: opsConfig(ops.config.redis.prefix) });
    try {
      const ready = await apiOnly.call<{ checks: Record<string, { ok: boolean }> }>('GET', '/readyz', { key: null });
      assert.equal(ready.status, 200, ready.text);
      assert.equal(ready.body.checks.workers?.ok, true);
    } finally {
      await apiOnly.stop({ keepPrefix: true });
    }
    const lonely = await startOpsApp({ roles: ['api'] });
    try {
      const ready = await lonely.call<{ status: string; checks: Record<string, { ok: boolean; detail?: string }> }>('GET', '/readyz', { key: null });
      assert.equal(ready.status, 503, ready.text);
      assert.equal(ready.body.status, 'not_ready');
      assert.equal(ready.body.checks.redis?.ok, true);
      assert.equal(ready.body.checks.workers?.ok, false);
      assert.match(ready.body.checks.workers?.detail ?? '', /no worker process/);
      assert.equal((await lonely.call('GET', '/healthz', { key: null })).status, 200);
    } finally {
      await lonely.stop();
    }
  });
});
