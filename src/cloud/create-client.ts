/**
 * createCloudClient(options, deps): the CloudClient of ./client.ts over one keep-alive transport.
 * Wiring only: each resource file owns its paths, success codes and validators; ./retry.ts owns retries;
 * ./classify.ts owns error classification.
 */
import type { CloudClient, CloudClientDeps, CloudClientOptions, VpcV3Client } from './client.js';
import { jobOperations } from './jobs.js';
import { nicOperations } from './nics.js';
import { portOperations } from './ports.js';
import { createCaller } from './retry.js';
import { serverOperations } from './servers.js';
import { subnetOperations } from './subnets.js';
import { createTransport } from './transport.js';
import { vpcOperations } from './vpcs.js';

/** The client (with ListVpcs v3) plus close(), which drops its keep-alive sockets (call it on shutdown and in tests). */
export interface ClosableCloudClient extends CloudClient, VpcV3Client {
  close(): void;
}

export function createCloudClient(options: CloudClientOptions, deps: CloudClientDeps): ClosableCloudClient {
  if (!options.projectId) throw new TypeError('createCloudClient: projectId is required');
  if (!Number.isInteger(options.getRetries) || options.getRetries < 0) throw new TypeError('createCloudClient: getRetries must be a whole number ≥ 0');
  if (!(options.timeoutMs > 0)) throw new TypeError('createCloudClient: timeoutMs must be > 0');
  const transport = createTransport(options, deps);
  const call = createCaller(transport, { getRetries: options.getRetries, ...(deps.onThrottled ? { onThrottled: deps.onThrottled } : {}) });
  return {
    projectId: options.projectId,
    ...vpcOperations(call),
    ...subnetOperations(call),
    ...portOperations(call),
    ...nicOperations(call),
    ...jobOperations(call),
    ...serverOperations(call),
    close: () => transport.close(),
  };
}
