/**
 * VPC v1 port operations (huawei-cloud-api.md §3.7–3.10; §8 rows 9–12). Host: the VPC endpoint.
 * CreatePort succeeds with 201 (not 200). ListPorts takes repeated keys for `id`, `security_groups` and
 * `fixed_ips` (each `ip_address=…` or `subnet_id=<neutron subnet id>`).
 */
import type { CloudClient } from './client.js';
import { collectPages, toQuery } from './query.js';
import type { Caller } from './retry.js';
import { decoder, listDecoder, PortSchema } from './schemas.js';
import type { Port } from './types.js';

export type PortOperations = Pick<CloudClient, 'createPort' | 'showPort' | 'listPorts' | 'listAllPorts' | 'deletePort'>;

const one = decoder<Port>(PortSchema, 'port');
const many = listDecoder<Port>(PortSchema, 'ports');

export function portOperations(call: Caller): PortOperations {
  const listPorts: PortOperations['listPorts'] = (query, opts) =>
    call({ operation: 'ListPorts', service: 'vpc', method: 'GET', path: ['ports'], query: toQuery(query), successStatus: 200, decode: many }, opts);
  return {
    createPort: (option, opts) =>
      call({ operation: 'CreatePort', service: 'vpc', method: 'POST', path: ['ports'], body: { port: option }, successStatus: 201, decode: one }, opts),
    showPort: (portId, opts) =>
      call({ operation: 'ShowPort', service: 'vpc', method: 'GET', path: ['ports', portId], successStatus: 200, decode: one }, opts),
    listPorts,
    listAllPorts: (query, opts) =>
      collectPages((limit, marker) => listPorts({ ...query, limit, ...(marker === undefined ? {} : { marker }) }, opts), query?.limit),
    deletePort: (portId, opts) =>
      call<void>({ operation: 'DeletePort', service: 'vpc', method: 'DELETE', path: ['ports', portId], successStatus: 204 }, opts),
  };
}
