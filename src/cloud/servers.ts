/** ECS server reads (huawei-cloud-api.md §4.4–4.6; §8 rows 16–18). Host: the ECS endpoint. */
import type { CloudClient } from './client.js';
import type { Caller } from './retry.js';
import { decoder, ServerAttachableNicNumSchema, ServerDetailSchema, ServerInterfacesSchema } from './schemas.js';
import type { ServerAttachableNicNum, ServerDetail, ServerInterfaces } from './types.js';

export type ServerOperations = Pick<CloudClient, 'showServer' | 'listServerInterfaces' | 'showServerAttachableNicNum'>;

const server = decoder<ServerDetail>(ServerDetailSchema, 'server');
const interfaces = decoder<ServerInterfaces>(ServerInterfacesSchema);
const nicNum = decoder<ServerAttachableNicNum>(ServerAttachableNicNumSchema);

export function serverOperations(call: Caller): ServerOperations {
  return {
    showServer: (serverId, opts) =>
      call({ operation: 'ShowServer', service: 'ecs', method: 'GET', path: ['cloudservers', serverId], successStatus: 200, decode: server }, opts),
    listServerInterfaces: (serverId, opts) =>
      call(
        { operation: 'ListServerInterfaces', service: 'ecs', method: 'GET', path: ['cloudservers', serverId, 'os-interface'], successStatus: 200, decode: interfaces },
        opts,
      ),
    showServerAttachableNicNum: (serverId, opts) =>
      call(
        {
          operation: 'ShowServerAttachableNicNum',
          service: 'ecs',
          method: 'GET',
          path: ['cloudservers', serverId, 'os-interface_extension'],
          successStatus: 200,
          decode: nicNum,
        },
        opts,
      ),
  };
}
