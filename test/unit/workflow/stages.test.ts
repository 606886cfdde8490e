/**
 * Stage functions against a scripted cloud (no Redis, no HTTP): which cloud answers lead to which outcome,
 * and what a stage does NOT call. The integration tests run the same stages against the emulator.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CloudError } from '../../../src/cloud/errors.js';
import type { CloudClient } from '../../../src/cloud/client.js';
import type { InterfaceAttachment, Job, OperationName, ServerDetail } from '../../../src/cloud/types.js';
import { manualClock } from '../../../src/lib/clock.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { loadConfig } from '../../../src/config/load.js';
import { createKeys } from '../../../src/workflow/keys.js';
import type { StageDeps } from '../../../src/workflow/deps.js';
import { newAttachmentRecord } from '../../../src/workflow/new-record.js';
import { runAttachStage } from '../../../src/workflow/stages/attach.js';
import { runNetworkStage } from '../../../src/workflow/stages/network.js';
import { runPollStage } from '../../../src/workflow/stages/poll.js';
import { runPortStage } from '../../../src/workflow/stages/port.js';
import { portName } from '../../../src/workflow/stages/common.js';
import { undoUnrecorded } from '../../../src/workflow/stages/index.js';
import type { Port } from '../../../src/cloud/types.js';
import type { AttachmentRecord } from '../../../src/workflow/types.js';
import type { StageOutcome } from '../../../src/workflow/outcome.js';

const settings = loadConfig({ env: { APP_ENV: 'test' } }).workflow;

function cloudError(operation: OperationName, status: number, cloudCode: string, retryable = false): CloudError {
  return new CloudError(status === 404 ? 'CLOUD_NOT_FOUND' : 'CLOUD_BAD_REQUEST', `${operation}: ${cloudCode}`, {
    kind: 'http',
    operation,
    httpStatus: status,
    cloudCode,
    requestId: 'req-1',
    retryable,
    outcomeUnknown: false,
  });
}

interface Fake {
  deps: StageDeps;
  calls: string[];
  patches: Array<Partial<AttachmentRecord>>;
  durations: number[];
  clock: ReturnType<typeof manualClock>;
}

/** A cloud whose listed methods answer as scripted; any other call fails the test. */
function fake(cloud: Partial<CloudClient>, opts: { leaseHolder?: string; lockFree?: boolean } = {}): Fake {
  const calls: string[] = [];
  const patches: Array<Partial<AttachmentRecord>> = [];
  const durations: number[] = [];
  const clock = manualClock(Date.parse('2024-01-15T08:30:00Z'));
  const proxy = new Proxy({} as CloudClient, {
    get(_t, prop: string) {
      if (prop === 'projectId') return 'p';
      const fn = (cloud as Record<string, unknown>)[prop];
      return (...args: unknown[]) => {
        calls.push(prop);
        if (typeof fn !== 'function') throw new Error(`unexpected cloud call ${prop}`);
        return (fn as (...a: unknown[]) => unknown)(...args);
      };
    },
  });
  const deps: StageDeps = {
    cloud: proxy,
    store: {
      patch: async (_id, fields) => {
        patches.push(fields);
        return true;
      },
      get: async () => null,
    },
    keys: createKeys('{u}'),
    locks: { withLock: async (_k, _t, fn) => (opts.lockFree === false ? { acquired: false } : { acquired: true, value: await fn({ confirm: async () => true }) }) },
    leases: {
      acquire: async () => (opts.leaseHolder ? { acquired: false, holder: opts.leaseHolder } : { acquired: true }),
      renew: async () => true,
      release: async () => true,
    },
    jobDurations: { record: async (ms) => void durations.push(ms), recent: async () => [] },
    subnetUsers: { add: async () => undefined, remove: async () => undefined, liveOthers: async () => [], drop: async () => undefined, claimCreated: async () => true },
    clock,
    logger: silentLogger(),
    settings,
    random: () => 0.5,
  };
  return { deps, calls, patches, durations, clock };
}

const SERVER = 'srv-1';
const PORT = 'port-1';

function record(fields: Partial<AttachmentRecord> = {}): AttachmentRecord {
  return { ...newAttachmentRecord({ server_id: SERVER }, { id: 'att_1', now: Date.parse('2024-01-15T08:30:00Z') }), ...fields };
}

function nic(portId: string): InterfaceAttachment {
  return { port_state: 'ACTIVE', fixed_ips: [{ ip_address: '192.168.0.9', subnet_id: 'nsub' }], net_id: 'sub', port_id: portId, mac_addr: 'fa:16:3e:00:00:09', delete_on_termination: true, driver_mode: null, min_rate: null, multiqueue_num: null, pci_address: '' };
}

function job(status: Job['status'], extra: Partial<Job> = {}): Job {
  return { status, job_id: 'job-1', job_type: 'addNicsForServer', begin_time: '2024-01-15T08:30:00.000Z', end_time: null, error_code: null, fail_reason: null, entities: {}, ...extra };
}

function server(extra: Partial<ServerDetail> = {}): ServerDetail {
  return {
    id: SERVER,
    name: 's',
    tenant_id: 't',
    user_id: 'u',
    status: 'ACTIVE',
    'OS-EXT-STS:vm_state': 'active',
    'OS-EXT-STS:task_state': null,
    'OS-EXT-STS:power_state': 1,
    'OS-EXT-AZ:availability_zone': 'az1',
    addresses: { 'vpc-a': [] },
    metadata: { vpc_id: 'vpc-a' },
    flavor: { id: 'f', name: 'f', disk: '0', vcpus: '1', ram: '1024' },
    security_groups: [],
    locked: false,
    host_status: 'UP',
    created: '',
    updated: '',
    ...extra,
  };
}

const expectFailed = (o: StageOutcome, code: string): void => {
  assert.equal(o.kind, 'failed', JSON.stringify(o));
  if (o.kind === 'failed') assert.equal(o.error.code, code);
};

describe('poll stage', () => {
  const polling = record({ stage: 'poll', port_id: PORT, ecs_job_id: 'job-1', ecs_job_submitted_at: '2024-01-15T08:30:00.000Z' });

  it('waits while the job runs, no longer than the deadline allows', async () => {
    const f = fake({ showJob: async () => job('RUNNING') });
    f.clock.advance(settings.ecsJobDeadlineMs - 60);
    const o = await runPollStage(polling, f.deps);
    assert.equal(o.kind, 'wait');
    if (o.kind === 'wait') {
      assert.ok(o.delayMs <= Math.max(settings.pollMinDelayMs, 60));
      assert.equal(o.fields?.poll_count, 1);
    }
  });

  it('fails ECS_JOB_TIMEOUT past the deadline', async () => {
    const f = fake({ showJob: async () => job('RUNNING') });
    f.clock.advance(settings.ecsJobDeadlineMs);
    expectFailed(await runPollStage(polling, f.deps), 'ECS_JOB_TIMEOUT');
  });

  it('fails ECS_JOB_FAILED with the job error_code and fail_reason', async () => {
    const f = fake({ showJob: async () => job('FAIL', { error_code: 'Ecs.0217', fail_reason: 'NIC attach failed' }) });
    const o = await runPollStage(polling, f.deps);
    expectFailed(o, 'ECS_JOB_FAILED');
    if (o.kind === 'failed') {
      assert.equal((o.error as CloudError).cloudCode, 'Ecs.0217');
      assert.match(o.error.message, /NIC attach failed/);
    }
    assert.deepEqual(f.calls, ['showJob']);
  });

  it('confirms SUCCESS in ListServerInterfaces and learns the duration', async () => {
    const f = fake({
      showJob: async () => job('SUCCESS', { end_time: '2024-01-15T08:30:07.500Z', entities: { sub_jobs: [{ ...job('SUCCESS'), entities: { nic_id: PORT } }] } }),
      listServerInterfaces: async () => ({ attachableQuantity: { free_nic: 3 }, interfaceAttachments: [nic('primary'), nic(PORT)] }),
    });
    const o = await runPollStage(polling, f.deps);
    assert.equal(o.kind, 'succeeded');
    if (o.kind === 'succeeded') assert.deepEqual([o.fields?.nic_id, o.fields?.ip_address, o.fields?.mac_address], [PORT, '192.168.0.9', 'fa:16:3e:00:00:09']);
    assert.deepEqual(f.durations, [7_500]);
  });

  it('waits when the job succeeded but the NIC is not listed yet', async () => {
    const f = fake({ showJob: async () => job('SUCCESS'), listServerInterfaces: async () => ({ attachableQuantity: { free_nic: 3 }, interfaceAttachments: [] }) });
    assert.equal((await runPollStage(polling, f.deps)).kind, 'wait');
  });

  it('succeeds without a job when the job is gone but the port is attached', async () => {
    const f = fake({
      showJob: async () => {
        throw cloudError('ShowJob', 404, 'Ecs.0000');
      },
      listServerInterfaces: async () => ({ attachableQuantity: { free_nic: 3 }, interfaceAttachments: [nic(PORT)] }),
    });
    assert.equal((await runPollStage(polling, f.deps)).kind, 'succeeded');
  });
});

describe('poll stage without an ECS job id (the attach answer was lost)', () => {
  const REQUESTED = '2024-01-15T08:30:00.000Z';
  const noJob = record({ stage: 'poll', port_id: PORT, attach_requested_at: REQUESTED });
  const listed = (ports: string[]) => async () => ({ attachableQuantity: { free_nic: 3 }, interfaceAttachments: ports.map(nic) });

  it('looks again (renewing the server lease) while the NIC is not listed, until the deadline counted from the attach request', async () => {
    const renewed: number[] = [];
    const f = fake({ listServerInterfaces: listed(['primary']) });
    f.deps.leases.renew = async (_k, _o, ttl) => {
      renewed.push(ttl);
      return true;
    };
    f.clock.advance(1_000);
    const o = await runPollStage(noJob, f.deps);
    assert.equal(o.kind, 'wait', JSON.stringify(o));
    assert.equal(renewed.length, 1);
    f.clock.advance(settings.ecsJobDeadlineMs);
    expectFailed(await runPollStage(noJob, f.deps), 'NIC_NOT_ATTACHED');
  });

  it('succeeds as soon as the NIC is listed', async () => {
    const f = fake({ listServerInterfaces: listed(['primary', PORT]) });
    assert.equal((await runPollStage(noJob, f.deps)).kind, 'succeeded');
    assert.deepEqual(f.calls, ['listServerInterfaces']);
  });
});

describe('attach stage', () => {
  const attaching = record({ stage: 'attach', port_id: PORT });
  const noNics = async (): Promise<{ attachableQuantity: { free_nic: number }; interfaceAttachments: InterfaceAttachment[] }> => ({ attachableQuantity: { free_nic: 3 }, interfaceAttachments: [nic('primary')] });

  it('waits while another attachment holds the server lease, calling nothing', async () => {
    const f = fake({}, { leaseHolder: 'att_other' });
    const o = await runAttachStage(attaching, f.deps);
    assert.equal(o.kind, 'wait');
    if (o.kind === 'wait') assert.match(o.reason, /att_other/);
    assert.deepEqual(f.calls, []);
  });

  it('after a lost answer, goes to poll without posting when the port is already on the server', async () => {
    const f = fake({ listServerInterfaces: async () => ({ attachableQuantity: { free_nic: 3 }, interfaceAttachments: [nic(PORT)] }) });
    assert.deepEqual(await runAttachStage({ ...attaching, attach_requested_at: '2024-01-15T08:30:00.000Z' }, f.deps), { kind: 'next', stage: 'poll' });
    assert.deepEqual(f.calls, ['listServerInterfaces']);
  });

  it('with a recorded ECS job id goes to poll, calling nothing', async () => {
    const f = fake({});
    assert.deepEqual(await runAttachStage({ ...attaching, attach_requested_at: '2024-01-15T08:30:00.000Z', ecs_job_id: 'job-1' }, f.deps), { kind: 'next', stage: 'poll' });
    assert.deepEqual(f.calls, []);
  });

  it('a first run (no marker, no job id) posts at once, marker written first, and hands the job id on with the stage change', async () => {
    const f = fake({ batchAddServerNics: async () => ({ job_id: 'job-9' }) });
    const o = await runAttachStage(attaching, f.deps);
    assert.deepEqual(f.calls, ['batchAddServerNics'], 'no ListServerInterfaces pre-check');
    assert.equal(o.kind, 'next');
    if (o.kind !== 'next') return;
    assert.equal(o.fields?.ecs_job_id, 'job-9');
    assert.ok(o.fields?.ecs_job_submitted_at);
    assert.deepEqual(Object.keys(f.patches[0] ?? {}), ['attach_requested_at'], 'the marker is the only write before the post');
    assert.equal(f.patches.length, 1);
    assert.ok((o.delayMs ?? 0) > 0, 'the first poll waits for the expected duration');
  });

  it('does not post when the attachment ended before the marker could be written', async () => {
    const f = fake({});
    f.deps.store.patch = async () => false;
    const o = await runAttachStage(attaching, f.deps);
    assert.equal(o.kind, 'stopped');
    assert.deepEqual(f.calls, []);
  });

  it('waits (does not fail) on Ecs.0603, server busy', async () => {
    const f = fake({
      listServerInterfaces: noNics,
      batchAddServerNics: async () => {
        throw cloudError('BatchAddServerNics', 501, 'Ecs.0603', true);
      },
    });
    assert.equal((await runAttachStage(attaching, f.deps)).kind, 'wait');
  });

  it('after a lost answer, finds the port on the server instead of posting again', async () => {
    const f = fake({ listServerInterfaces: noNics, showPort: async () => ({ device_id: SERVER }) as never });
    const o = await runAttachStage({ ...attaching, attach_requested_at: '2024-01-15T08:30:00.000Z' }, f.deps);
    assert.deepEqual(o, { kind: 'next', stage: 'poll' });
    assert.ok(!f.calls.includes('batchAddServerNics'));
  });
});

describe('port stage', () => {
  const porting = record({ stage: 'port', vpc_id: 'vpc-a', subnet_id: 'sub', neutron_subnet_id: 'nsub' });
  const MARKED = '2024-01-15T08:29:00.000Z';
  const port = (extra: Partial<Port> = {}): Port => ({ id: PORT, name: portName(porting.id), device_id: '', fixed_ips: [{ ip_address: '192.168.0.9', subnet_id: 'nsub' }], mac_address: 'fa:16:3e:00:00:09', ...extra }) as Port;

  it('a first run (no marker) creates the port without looking it up, the marker written before the post', async () => {
    const order: string[] = [];
    const f = fake({
      createPort: async () => {
        order.push('post');
        return port();
      },
    });
    const patch = f.deps.store.patch;
    f.deps.store.patch = async (id, fields) => {
      order.push(Object.keys(fields).join(','));
      return patch(id, fields);
    };
    const o = await runPortStage(porting, f.deps);
    assert.deepEqual(f.calls, ['createPort'], 'no ListPorts');
    assert.deepEqual(order, ['port_create_requested_at', 'post'], 'the port is recorded with the stage change, not by a write of its own');
    assert.equal(o.kind, 'next');
    if (o.kind === 'next') assert.deepEqual(o.fields, { port_id: PORT, created_port: true, ip_address: '192.168.0.9', mac_address: 'fa:16:3e:00:00:09' });
  });

  it('a port whose stage change found the attachment ended is deleted (undoUnrecorded); other stages undo nothing', async () => {
    const f = fake({ createPort: async () => port(), deletePort: async () => undefined });
    const o = await runPortStage(porting, f.deps);
    assert.match((await undoUnrecorded('port', o, f.deps)) ?? '', /port deleted/);
    assert.deepEqual(f.calls, ['createPort', 'deletePort']);
    const gone = fake({
      deletePort: async () => {
        throw cloudError('DeletePort', 404, 'VPC.0603');
      },
    });
    assert.match((await undoUnrecorded('port', o, gone.deps)) ?? '', /port deleted/, '404: already gone');
    assert.equal(await undoUnrecorded('subnet', { kind: 'next', stage: 'port', fields: { subnet_id: 'sub' } }, f.deps), undefined);
    assert.equal(await undoUnrecorded('port', { kind: 'next', stage: 'attach' }, f.deps), undefined, 'a re-run that found its recorded port made nothing');
  });

  it('with the marker (an earlier create may have been carried out), finds the port and creates none', async () => {
    const f = fake({ listAllPorts: async () => [port()] });
    const o = await runPortStage({ ...porting, port_create_requested_at: MARKED }, f.deps);
    assert.deepEqual(f.calls, ['listAllPorts']);
    assert.equal(o.kind, 'next');
    if (o.kind === 'next') assert.equal(o.fields?.port_id, PORT);
  });

  it('with the marker and no port found, creates it (the earlier run never got to post)', async () => {
    const f = fake({ listAllPorts: async () => [], createPort: async () => port() });
    assert.equal((await runPortStage({ ...porting, port_create_requested_at: MARKED }, f.deps)).kind, 'next');
    assert.deepEqual(f.calls, ['listAllPorts', 'createPort']);
  });

  it('keeps FIXED_IP_IN_USE for VPC.0701, first run or not', async () => {
    const refused = async (): Promise<Port> => {
      throw cloudError('CreatePort', 400, 'VPC.0701');
    };
    const fixed = { ...porting, request: { server_id: SERVER, port: { fixed_ip: '192.168.0.9' } } };
    expectFailed(await runPortStage(fixed, fake({ createPort: refused }).deps), 'FIXED_IP_IN_USE');
    expectFailed(await runPortStage({ ...fixed, port_create_requested_at: MARKED }, fake({ listAllPorts: async () => [], createPort: refused }).deps), 'FIXED_IP_IN_USE');
  });

  it('does not create a port when the attachment ended before the marker could be written', async () => {
    const f = fake({});
    f.deps.store.patch = async () => false;
    assert.equal((await runPortStage(porting, f.deps)).kind, 'stopped');
    assert.deepEqual(f.calls, []);
  });
});

describe('network stage', () => {
  const ifs = async (): Promise<{ attachableQuantity: { free_nic: number }; interfaceAttachments: InterfaceAttachment[] }> => ({ attachableQuantity: { free_nic: 2 }, interfaceAttachments: [nic('primary')] });

  it('fails SERVER_NOT_FOUND on 404', async () => {
    const f = fake({
      showServer: async () => {
        throw cloudError('ShowServer', 404, 'Ecs.0114');
      },
    });
    expectFailed(await runNetworkStage(record(), f.deps), 'SERVER_NOT_FOUND');
  });

  it('fails SERVER_STATE_INVALID for a locked server or one that is not ACTIVE/SHUTOFF', async () => {
    expectFailed(await runNetworkStage(record(), fake({ showServer: async () => server({ locked: true }) }).deps), 'SERVER_STATE_INVALID');
    expectFailed(await runNetworkStage(record(), fake({ showServer: async () => server({ status: 'RESIZE' }) }).deps), 'SERVER_STATE_INVALID');
  });

  it('fails NIC_LIMIT_REACHED when no NIC slot is free', async () => {
    const f = fake({ showServer: async () => server(), listServerInterfaces: async () => ({ attachableQuantity: { free_nic: 0 }, interfaceAttachments: [nic('primary')] }) });
    expectFailed(await runNetworkStage(record(), f.deps), 'NIC_LIMIT_REACHED');
  });

  it('fails VPC_MISMATCH for a VPC that is not the server\'s, creating nothing', async () => {
    const f = fake({ showServer: async () => server(), listServerInterfaces: ifs, showVpc: async () => ({ id: 'vpc-b', name: 'b', status: 'OK', cidr: '10.0.0.0/16' }) as never });
    const o = await runNetworkStage(record({ request: { server_id: SERVER, vpc: { id: 'vpc-b' } } }), f.deps);
    expectFailed(o, 'VPC_MISMATCH');
    if (o.kind === 'failed') assert.match(o.error.message, /vpc-b.*vpc-a/);
    assert.deepEqual(f.calls, ['showServer', 'listServerInterfaces', 'showVpc']);
  });

  it('resolves a VPC name against the server\'s VPC (one ShowVpc), never listing or creating VPCs', async () => {
    const named = (name: string): AttachmentRecord => record({ request: { server_id: SERVER, vpc: { name, cidr: '10.0.0.0/16' } } });
    const f = fake({ showServer: async () => server(), listServerInterfaces: ifs, showVpc: async (id: string) => ({ id, name: 'a', status: 'OK', cidr: '10.0.0.0/16' }) as never });
    const o = await runNetworkStage(named('a'), f.deps);
    assert.equal(o.kind, 'next');
    if (o.kind === 'next') assert.equal(o.fields?.vpc_id, 'vpc-a');
    assert.deepEqual(f.calls, ['showServer', 'listServerInterfaces', 'showVpc']);

    // Another name (a VPC that does not exist yet, or one that is not the server's): VPC_MISMATCH, nothing made.
    const g = fake({ showServer: async () => server(), listServerInterfaces: ifs, showVpc: async (id: string) => ({ id, name: 'a', status: 'OK', cidr: '10.0.0.0/16' }) as never });
    const m = await runNetworkStage(named('brand-new'), g.deps);
    expectFailed(m, 'VPC_MISMATCH');
    if (m.kind === 'failed') assert.match(m.error.message, /"brand-new" is not the VPC of server srv-1, which is vpc-a \("a"\)/);
    assert.deepEqual(g.calls, ['showServer', 'listServerInterfaces', 'showVpc'], 'no ListVpcs, no CreateVpc');
  });

  it('fails VPC_CONFLICT when the server\'s VPC has the name but another CIDR, and waits while it is CREATING', async () => {
    const vpc = (extra: object) => async (id: string) => ({ id, name: 'a', status: 'OK', cidr: '10.0.0.0/16', ...extra }) as never;
    const req = record({ request: { server_id: SERVER, vpc: { name: 'a', cidr: '10.9.0.0/16' } } });
    expectFailed(await runNetworkStage(req, fake({ showServer: async () => server(), listServerInterfaces: ifs, showVpc: vpc({}) }).deps), 'VPC_CONFLICT');
    const creating = record({ request: { server_id: SERVER, vpc: { name: 'a', cidr: '10.0.0.0/16' } } });
    assert.equal((await runNetworkStage(creating, fake({ showServer: async () => server(), listServerInterfaces: ifs, showVpc: vpc({ status: 'CREATING' }) }).deps)).kind, 'wait');
  });

  it('sends ShowServer and ListServerInterfaces together; ShowServer\'s answer still decides first', async () => {
    let interfacesAsked!: () => void;
    const asked = new Promise<void>((resolve) => (interfacesAsked = resolve));
    // ShowServer answers only once ListServerInterfaces has been sent: sequential reads would never end.
    const f = fake({
      showServer: async () => {
        await asked;
        return server({ status: 'ERROR' });
      },
      listServerInterfaces: async () => {
        interfacesAsked();
        throw cloudError('ListServerInterfaces', 400, 'Ecs.0307');
      },
    });
    expectFailed(await runNetworkStage(record(), f.deps), 'SERVER_STATE_INVALID');
    assert.deepEqual(f.calls, ['showServer', 'listServerInterfaces']);
  });

  it('uses the server\'s VPC and its primary subnet when the request names neither', async () => {
    const f = fake({ showServer: async () => server(), listServerInterfaces: ifs });
    assert.deepEqual(await runNetworkStage(record(), f.deps), { kind: 'next', stage: 'subnet', fields: { server_vpc_id: 'vpc-a', subnet_id: 'sub', vpc_id: 'vpc-a' } });
  });
});
