/**
 * A CloudClient that reports every HTTP attempt of the calls made through it, on top of whatever the caller
 * passes. The queue layer gives each stage run its own, to count the attachment's cloud calls and collect
 * the request ids for the stage transition log line.
 */
import type { CallMeta, CallOptions, CloudClient } from '../cloud/client.js';

export function instrumentClient(client: CloudClient, onCall: (meta: CallMeta) => void): CloudClient {
  const o = (opts?: CallOptions): CallOptions => ({
    ...opts,
    onCall: (meta) => {
      onCall(meta);
      opts?.onCall?.(meta);
    },
  });
  return {
    projectId: client.projectId,
    createVpc: (option, opts) => client.createVpc(option, o(opts)),
    showVpc: (id, opts) => client.showVpc(id, o(opts)),
    listVpcs: (query, opts) => client.listVpcs(query, o(opts)),
    listAllVpcs: (query, opts) => client.listAllVpcs(query, o(opts)),
    deleteVpc: (id, opts) => client.deleteVpc(id, o(opts)),
    createSubnet: (option, opts) => client.createSubnet(option, o(opts)),
    showSubnet: (id, opts) => client.showSubnet(id, o(opts)),
    listSubnets: (query, opts) => client.listSubnets(query, o(opts)),
    listAllSubnets: (query, opts) => client.listAllSubnets(query, o(opts)),
    deleteSubnet: (vpcId, id, opts) => client.deleteSubnet(vpcId, id, o(opts)),
    createPort: (option, opts) => client.createPort(option, o(opts)),
    showPort: (id, opts) => client.showPort(id, o(opts)),
    listPorts: (query, opts) => client.listPorts(query, o(opts)),
    listAllPorts: (query, opts) => client.listAllPorts(query, o(opts)),
    deletePort: (id, opts) => client.deletePort(id, o(opts)),
    batchAddServerNics: (serverId, nics, opts) => client.batchAddServerNics(serverId, nics, o(opts)),
    batchDeleteServerNics: (serverId, ids, opts) => client.batchDeleteServerNics(serverId, ids, o(opts)),
    showJob: (id, opts) => client.showJob(id, o(opts)),
    showServer: (id, opts) => client.showServer(id, o(opts)),
    listServerInterfaces: (id, opts) => client.listServerInterfaces(id, o(opts)),
    showServerAttachableNicNum: (id, opts) => client.showServerAttachableNicNum(id, o(opts)),
  };
}

/** Collects what the calls of one stage run looked like. */
export interface CallCollector {
  onCall(meta: CallMeta): void;
  readonly count: number;
  readonly requestIds: string[];
  /** Error outcomes of the calls, e.g. ["CreatePort:CLOUD_UNAVAILABLE"]. */
  readonly errors: string[];
}

export function createCallCollector(): CallCollector {
  let count = 0;
  const requestIds: string[] = [];
  const errors: string[] = [];
  return {
    onCall(meta) {
      count += 1;
      if (meta.requestId) requestIds.push(meta.requestId);
      if (meta.outcome !== 'ok') errors.push(`${meta.operation}:${meta.outcome}`);
    },
    get count() {
      return count;
    },
    requestIds,
    errors,
  };
}
