/** VPC v1 operations (huawei-cloud-api.md §3.1–3.4; §8 rows 1–4). Host: the VPC endpoint. */
import type { CloudClient } from './client.js';
import { collectPages, toQuery } from './query.js';
import type { Caller } from './retry.js';
import { decoder, listDecoder, VpcSchema } from './schemas.js';
import type { Vpc } from './types.js';

export type VpcOperations = Pick<CloudClient, 'createVpc' | 'showVpc' | 'listVpcs' | 'listAllVpcs' | 'deleteVpc'>;

const one = decoder<Vpc>(VpcSchema, 'vpc');
const many = listDecoder<Vpc>(VpcSchema, 'vpcs');

export function vpcOperations(call: Caller): VpcOperations {
  const listVpcs: VpcOperations['listVpcs'] = (query, opts) =>
    call({ operation: 'ListVpcs', service: 'vpc', method: 'GET', path: ['vpcs'], query: toQuery(query), successStatus: 200, decode: many }, opts);
  return {
    createVpc: (option, opts) =>
      call({ operation: 'CreateVpc', service: 'vpc', method: 'POST', path: ['vpcs'], body: { vpc: option }, successStatus: 200, decode: one }, opts),
    showVpc: (vpcId, opts) =>
      call({ operation: 'ShowVpc', service: 'vpc', method: 'GET', path: ['vpcs', vpcId], successStatus: 200, decode: one }, opts),
    listVpcs,
    listAllVpcs: (query, opts) =>
      collectPages((limit, marker) => listVpcs({ ...query, limit, ...(marker === undefined ? {} : { marker }) }, opts), query?.limit),
    deleteVpc: (vpcId, opts) =>
      call<void>({ operation: 'DeleteVpc', service: 'vpc', method: 'DELETE', path: ['vpcs', vpcId], successStatus: 204 }, opts),
  };
}
