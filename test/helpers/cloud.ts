/**
 * Cloud-client expectations shared by the client and emulator tests: a call that must fail with a CloudError,
 * and waiting for an ECS job (BatchAdd/DeleteServerNics) to end.
 */
import assert from 'node:assert/strict';
import { isCloudError, type CloudError } from '../../src/cloud/errors.js';
import type { CloudClient } from '../../src/cloud/client.js';
import type { Job } from '../../src/cloud/types.js';
import { waitUntil } from '../../src/lib/wait.js';

/** The CloudError `p` rejects with; fails the test when it resolves or rejects with anything else. */
export async function cloudError(p: Promise<unknown>): Promise<CloudError> {
  try {
    await p;
  } catch (err) {
    assert.ok(isCloudError(err), `expected a CloudError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the call to fail with a CloudError');
}

/** Poll ShowJob until the job is SUCCESS or FAIL (within 5 s) and return it. */
export function waitForJobEnd(client: Pick<CloudClient, 'showJob'>, jobId: string, what = `job ${jobId}`): Promise<Job> {
  return waitUntil(
    async () => {
      const job = await client.showJob(jobId);
      return job.status === 'SUCCESS' || job.status === 'FAIL' ? job : undefined;
    },
    { timeoutMs: 5_000, intervalMs: 20, what },
  );
}
