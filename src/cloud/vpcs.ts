/**
 * VPC operations (huawei-cloud-api.md §3.1–3.4; §8 rows 1–4 and 3b). Host: the VPC endpoint.
 * v1 for everything, plus ListVpcs v3 (`/v3/{project_id}/vpc/vpcs`) for its name filter.
 */
import type { CloudClient, VpcV3Client } from './client.js';
import { collectNextMarkerPages, collectPages, DEFAULT_PAGE_SIZE, toQuery } from './query.js';
import type { Caller } from './retry.js';
import { decoder, listDecoder, ListVpcsV3PageSchema, VpcSchema } from './schemas.js';
import type { ListVpcsV3Page, Vpc } from './types.js';

export type VpcOperations = Pick<CloudClient, 'createVpc' | 'showVpc' | 'listVpcs' | 'listAllVpcs' | 'deleteVpc'> & VpcV3Client;

const one = decoder<Vpc>(VpcSchema, 'vpc');
const many = listDecoder<Vpc>(VpcSchema, 'vpcs');
const v3Page = decoder<ListVpcsV3Page>(ListVpcsV3PageSchema);

export function vpcOperations(call: Caller): VpcOperations {
  const listVpcs: VpcOperations['listVpcs'] = (query, opts) =>
    call({ operation: 'ListVpcs', service: 'vpc', method: 'GET', path: ['vpcs'], query: toQuery(query), successStatus: 200, decode: many }, opts);
  const listVpcsV3: VpcOperations['listVpcsV3'] = (query, opts) =>
    call({ operation: 'ListVpcsV3', service: 'vpc', method: 'GET', version: 'v3', path: ['vpc', 'vpcs'], query: toQuery(query), successStatus: 200, decode: v3Page }, opts);
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
    listVpcsV3,
    listAllVpcsV3: (query, opts) =>
      collectNextMarkerPages(async (marker) => {
        const page = await listVpcsV3({ ...query, limit: query?.limit ?? DEFAULT_PAGE_SIZE, ...(marker === undefined ? {} : { marker }) }, opts);
        return { items: page.vpcs, nextMarker: page.page_info.next_marker };
      }),
  };
}
