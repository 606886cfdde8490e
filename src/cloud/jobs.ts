/**
 * ECS ShowJob (huawei-cloud-api.md §4.2; §8 row 15). Host: the ECS endpoint. The answer is a flat object
 * (no root key); for addNicsForServer the new port id is at `entities.sub_jobs[0].entities.nic_id`.
 */
import type { CloudClient } from './client.js';
import type { Caller } from './retry.js';
import { decoder, JobSchema } from './schemas.js';
import type { Job } from './types.js';

export type JobOperations = Pick<CloudClient, 'showJob'>;

const job = decoder<Job>(JobSchema);

export function jobOperations(call: Caller): JobOperations {
  return {
    showJob: (jobId, opts) => call({ operation: 'ShowJob', service: 'ecs', method: 'GET', path: ['jobs', jobId], successStatus: 200, decode: job }, opts),
  };
}
