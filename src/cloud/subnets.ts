/**
 * VPC v1 subnet operations (huawei-cloud-api.md §3.5–3.6; §8 rows 5–8). Host: the VPC endpoint.
 * Note DeleteSubnet's path carries the VPC id: `/v1/{p}/vpcs/{vpc_id}/subnets/{subnet_id}`.
 */
import type { CloudClient } from './client.js';
import { collectPages, toQuery } from './query.js';
import type { Caller } from './retry.js';
import { decoder, listDecoder, SubnetSchema } from './schemas.js';
import type { Subnet } from './types.js';

export type SubnetOperations = Pick<CloudClient, 'createSubnet' | 'showSubnet' | 'listSubnets' | 'listAllSubnets' | 'deleteSubnet'>;

const one = decoder<Subnet>(SubnetSchema, 'subnet');
const many = listDecoder<Subnet>(SubnetSchema, 'subnets');

export function subnetOperations(call: Caller): SubnetOperations {
  const listSubnets: SubnetOperations['listSubnets'] = (query, opts) =>
    call({ operation: 'ListSubnets', service: 'vpc', method: 'GET', path: ['subnets'], query: toQuery(query), successStatus: 200, decode: many }, opts);
  return {
    createSubnet: (option, opts) =>
      call({ operation: 'CreateSubnet', service: 'vpc', method: 'POST', path: ['subnets'], body: { subnet: option }, successStatus: 200, decode: one }, opts),
    showSubnet: (subnetId, opts) =>
      call({ operation: 'ShowSubnet', service: 'vpc', method: 'GET', path: ['subnets', subnetId], successStatus: 200, decode: one }, opts),
    listSubnets,
    listAllSubnets: (query, opts) =>
      collectPages((limit, marker) => listSubnets({ ...query, limit, ...(marker === undefined ? {} : { marker }) }, opts), query?.limit),
    deleteSubnet: (vpcId, subnetId, opts) =>
      call<void>({ operation: 'DeleteSubnet', service: 'vpc', method: 'DELETE', path: ['vpcs', vpcId, 'subnets', subnetId], successStatus: 204 }, opts),
  };
}
