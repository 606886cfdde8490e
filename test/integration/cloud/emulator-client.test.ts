/**
 * The real client against the project's emulator over HTTP: every operation's answer passes the client's
 * response validation, signatures are accepted, and errors classify as the cloud's would.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createCloudClient, type ClosableCloudClient } from '../../../src/cloud/create-client.js';
import { isCloudError } from '../../../src/cloud/errors.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { waitUntil } from '../../../src/lib/wait.js';
import { cloudError, waitForJobEnd } from '../../helpers/cloud.js';
import { startTestEmulator, type TestEmulator } from '../../helpers/emulator.js';

let emu: TestEmulator;
let client: ClosableCloudClient;

before(async () => {
  emu = await startTestEmulator();
  client = createCloudClient(emu.cloudOptions, { logger: silentLogger() });
});
after(async () => {
  client?.close();
  await emu?.stop();
});


describe('cloud client against the emulator', () => {
  it('runs the whole attach and detach flow with every operation', async () => {
    const server = await emu.control.createServer({ name: 'client-flow' });
    const shown = await client.showServer(server.id);
    assert.equal(shown.id, server.id);
    const vpcId = shown.metadata.vpc_id;
    assert.ok(vpcId);

    const before = await client.listServerInterfaces(server.id);
    assert.equal(before.interfaceAttachments.length, 1);
    const nicNum = await client.showServerAttachableNicNum(server.id);
    assert.equal(nicNum.attachableQuantity.free_nic, before.attachableQuantity.free_nic);

    const vpc = await client.showVpc(vpcId);
    assert.ok((await client.listAllVpcs()).some((v) => v.id === vpc.id));
    const created = await client.createVpc({ name: 'client-extra-vpc', cidr: '172.16.0.0/16' });
    assert.equal((await client.listVpcs({ id: created.id })).length, 1);

    const subnet = await client.createSubnet({ name: 'client-subnet', cidr: '192.168.77.0/24', gateway_ip: '192.168.77.1', vpc_id: vpcId });
    const ready = await waitUntil(async () => {
      const s = await client.showSubnet(subnet.id);
      return s.status === 'ACTIVE' ? s : undefined;
    }, { timeoutMs: 5_000, what: 'subnet ACTIVE' });
    assert.ok((await client.listAllSubnets({ vpc_id: vpcId })).some((s) => s.id === ready.id));

    const port = await client.createPort({
      network_id: subnet.id,
      name: 'client-port',
      fixed_ips: [{ subnet_id: ready.neutron_subnet_id, ip_address: '192.168.77.10' }],
    });
    assert.equal(port.status, 'DOWN');
    assert.deepEqual((await client.listPorts({ name: 'client-port' })).map((p) => p.id), [port.id]);
    assert.deepEqual((await client.listAllPorts({ fixed_ips: ['ip_address=192.168.77.10'], network_id: subnet.id })).map((p) => p.id), [port.id]);
    assert.equal((await client.showPort(port.id)).id, port.id);

    const { job_id } = await client.batchAddServerNics(server.id, [{ port_id: port.id }]);
    const done = await waitForJobEnd(client, job_id, 'attach job');
    assert.equal(done.status, 'SUCCESS', JSON.stringify(done));
    assert.equal(done.entities.sub_jobs?.[0]?.entities.nic_id, port.id);
    const after = await client.listServerInterfaces(server.id);
    assert.ok(after.interfaceAttachments.some((i) => i.port_id === port.id));

    const detach = await client.batchDeleteServerNics(server.id, [port.id]);
    const detached = await waitForJobEnd(client, detach.job_id, 'detach job');
    assert.equal(detached.status, 'SUCCESS');
    const gone = await client.deletePort(port.id).then(() => 'deleted', (err: unknown) => (isCloudError(err) && err.isNotFound ? 'already gone' : Promise.reject(err)));
    assert.ok(gone === 'deleted' || gone === 'already gone');

    await client.deleteSubnet(vpcId, subnet.id);
    await client.deleteVpc(created.id);
    assert.equal((await cloudError(client.showVpc(created.id))).code, 'CLOUD_NOT_FOUND');
  });

  it('classifies the emulator errors as the cloud ones', async () => {
    const missing = await cloudError(client.showServer('00000000-0000-4000-8000-000000000000'));
    assert.equal(missing.code, 'CLOUD_NOT_FOUND');
    assert.ok(missing.requestId, 'the emulator sends X-Request-Id');

    const wrongKey = createCloudClient(
      { ...emu.cloudOptions, credentials: { kind: 'aksk', accessKey: emu.credentials.accessKey, secretKey: 'not-the-secret' }, getRetries: 0 },
      { logger: silentLogger() },
    );
    try {
      const err = await cloudError(wrongKey.listVpcs());
      assert.equal(err.code, 'CLOUD_AUTH');
      assert.equal(err.cloudCode, 'APIGW.0301');
      assert.equal(err.retryable, false);
    } finally {
      wrongKey.close();
    }
  });
});
