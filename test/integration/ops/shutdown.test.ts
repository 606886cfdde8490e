/**
 * Graceful shutdown of the whole process (createApp.stop, what SIGTERM runs): the API stops taking requests
 * first, then the workers drain — a stage that is running when the stop begins finishes — then event delivery,
 * then the embedded emulator. Nothing is lost: an app started again on the same Redis finishes the attachment.
 * The cloud is a separate test emulator here, so it outlives the apps; its latency keeps a stage running.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createApp, type App } from '../../../src/app/create-app.js';
import type { Role, RoleFactory, RoleName } from '../../../src/app/role.js';
import type { ApiRole } from '../../../src/app/roles/api.js';
import { ROLE_FACTORIES } from '../../../src/app/roles/index.js';
import type { Config } from '../../../src/config/types.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { waitUntil } from '../../../src/lib/wait.js';
import type { AttachmentRecord } from '../../../src/workflow/types.js';
import { startTestEmulator, type TestEmulator } from '../../helpers/emulator.js';
import { dropPrefix, freshPrefix } from '../../helpers/redis.js';
import { opsConfig, TEST_KEY } from './harness.js';

/** The real roles, with their stops recorded in order. */
function recordingFactories(log: string[]): Partial<Record<RoleName, RoleFactory>> {
  const wrap = (name: RoleName): RoleFactory => (ctx) => {
    const role = ROLE_FACTORIES[name](ctx);
    return new Proxy(role, {
      get(target, prop, receiver) {
        if (prop !== 'stop') return Reflect.get(target, prop, receiver) as unknown;
        return async () => {
          log.push(`${name} stop begins`);
          await target.stop();
          log.push(`${name} stopped`);
        };
      },
    }) as Role;
  };
  return { events: wrap('events'), workers: wrap('workers'), api: wrap('api') };
}

describe('graceful shutdown of the whole process', () => {
  let emulator: TestEmulator;
  let config: Config;
  const prefix = freshPrefix('shutdown');

  before(async () => {
    emulator = await startTestEmulator();
    config = opsConfig(prefix, {
      cloud: {
        ak: emulator.credentials.accessKey,
        sk: emulator.credentials.secretKey,
        projectId: emulator.credentials.projectId,
        ecsEndpoint: emulator.url,
        vpcEndpoint: emulator.url,
        rateLimitRps: 1000,
      },
      workers: { shutdownTimeoutMs: 8_000 },
    });
  });
  after(async () => {
    await emulator?.stop();
    await dropPrefix(config.redis.url, prefix);
  });

  it('stops the API first, lets the running stage finish, then stops workers and event delivery; a restart finishes the attachment', async () => {
    const log: string[] = [];
    const app: App = createApp(config, { roles: ['events', 'workers', 'api'], logger: silentLogger(), factories: recordingFactories(log) });
    await app.start();
    const url = app.role<ApiRole>('api')?.url ?? '';
    const server = await emulator.control.createServer({ name: 'drain' });
    // Every cloud call now takes 700 ms: the network stage (ShowServer, ListServerInterfaces, …) runs for seconds.
    await emulator.control.configure({ faults: { latency_ms: 700 } });
    const res = await fetch(`${url}/v1/attachments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ server_id: server.id }),
    });
    assert.equal(res.status, 202);
    const { id } = (await res.json()) as { id: string };
    const get = async (): Promise<AttachmentRecord> =>
      (await (await fetch(`${url}/v1/attachments/${id}`, { headers: { authorization: `Bearer ${TEST_KEY}` } })).json()) as AttachmentRecord;
    await waitUntil(async () => ((await get()).stages.network?.started_at ? true : undefined), { timeoutMs: 10_000, what: 'the network stage to start' });

    const stopping = app.stop();
    await waitUntil(() => (log.includes('api stopped') ? true : undefined), { timeoutMs: 10_000, what: 'the API to stop' });
    // The API no longer takes requests while the workers still drain.
    await assert.rejects(fetch(`${url}/healthz`), /fetch failed/);
    assert.ok(!log.includes('workers stopped'), `workers still draining when the API is gone: ${log.join(', ')}`);
    await stopping;
    assert.deepEqual(log, ['api stop begins', 'api stopped', 'workers stop begins', 'workers stopped', 'events stop begins', 'events stopped']);

    // The stage that was running finished (its end is recorded) instead of being cut off.
    await emulator.control.configure({ faults: { latency_ms: 0 } });
    const again = createApp(config, { roles: ['events', 'workers', 'api'], logger: silentLogger() });
    await again.start();
    try {
      const url2 = again.role<ApiRole>('api')?.url ?? '';
      const read = async (): Promise<AttachmentRecord> =>
        (await (await fetch(`${url2}/v1/attachments/${id}`, { headers: { authorization: `Bearer ${TEST_KEY}` } })).json()) as AttachmentRecord;
      const drained = await read();
      assert.ok(drained.stages.network?.finished_at, `the running network stage finished during the drain: ${JSON.stringify(drained.stages)}`);
      const done = await waitUntil(async () => {
        const r = await read();
        return r.status === 'succeeded' || r.status === 'failed' ? r : undefined;
      }, { timeoutMs: 20_000, what: 'the attachment to end after the restart' });
      assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
      const state = await emulator.control.state();
      assert.equal(state.ports.filter((p) => p.device_id === server.id).length, 2, 'one primary NIC and exactly one new one');
    } finally {
      await again.stop();
    }
  });
});
