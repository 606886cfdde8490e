/**
 * ECS NIC attach/detach (huawei-cloud-api.md §4.1, §4.3; §8 rows 13–14). Host: the ECS endpoint.
 * Both are asynchronous: 200 `{job_id}` only means the ECS job was accepted; follow it with showJob.
 * Never retried by the client (no idempotency token): after an outcome-unknown error the caller checks
 * ListServerInterfaces before posting again.
 */
import type { CloudClient } from './client.js';
import type { Caller } from './retry.js';
import { decoder, JobAcceptedSchema } from './schemas.js';
import type { JobAccepted } from './types.js';

export type NicOperations = Pick<CloudClient, 'batchAddServerNics' | 'batchDeleteServerNics'>;

const accepted = decoder<JobAccepted>(JobAcceptedSchema);

export function nicOperations(call: Caller): NicOperations {
  return {
    batchAddServerNics: (serverId, nics, opts) =>
      call(
        { operation: 'BatchAddServerNics', service: 'ecs', method: 'POST', path: ['cloudservers', serverId, 'nics'], body: { nics }, successStatus: 200, decode: accepted },
        opts,
      ),
    batchDeleteServerNics: (serverId, portIds, opts) =>
      call(
        {
          operation: 'BatchDeleteServerNics',
          service: 'ecs',
          method: 'POST',
          path: ['cloudservers', serverId, 'nics', 'delete'],
          body: { nics: portIds.map((id) => ({ id })) },
          successStatus: 200,
          decode: accepted,
        },
        opts,
      ),
  };
}
