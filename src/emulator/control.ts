/**
 * The control surface (design.md §4): reset, servers, config and state — in process (EmulatorControl) and over
 * HTTP under /_emulator (no signature; loopback only unless allowRemoteControl). Faults never apply here.
 *
 * LIMITATIONS
 * - A server made here is ready at once: when no vpc_id is given it gets a new VPC `vpc-emulator-N`
 *   (192.168.0.0/16, status OK) and subnet `subnet-emulator-N` (192.168.0.0/24, ACTIVE); with a vpc_id it uses
 *   the VPC's first subnet, or creates one (the VPC's first /24, or the whole VPC when smaller). Its primary NIC
 *   is a port with device_id = the server and device_owner compute:{az}. The VPC, subnet and primary NIC made
 *   here are exempt from the quotas: they are neither refused for them nor counted toward them.
 * - PUT/PATCH /_emulator/config takes `{timings?, faults?, limits?, seed?}`; every section is validated before
 *   anything changes, so a 400 EMULATOR.BAD_CONFIG (its message names the field) leaves the config as it was.
 *   A changed limit applies from the next request on; it does not undo what exists (a quota lowered below the
 *   current count refuses new creates only).
 * - reset clears every resource, job, call count and AK lockout, and restores the timings, faults and limits
 *   given at construction (a test that turned a fault on or a limit down cannot leak it into the next one).
 */
import type { ServerDetail } from '../cloud/types.js';
import { cidrFrom, firstHost, formatCidr, formatIpv4, requireCidr, type Cidr } from '../lib/net.js';
import { controlError } from './errors.js';
import { ServerModel, type SubnetModel, type VpcModel } from './models.js';
import { insertPort, allocateIp } from './resources/port-model.js';
import { isPurged, jobView, settle } from './resources/jobs.js';
import { portView } from './resources/port-model.js';
import { findServer, serverView } from './resources/servers.js';
import { insertSubnet, subnetView } from './resources/subnets.js';
import { insertVpc, vpcView } from './resources/vpcs.js';
import { mergeFaults, mergeLimits, mergeTimings } from './settings.js';
import type { EmulatorContext } from './store.js';
import type {
  CreateServerOptions,
  EmulatorConfigPatch,
  EmulatorConfigView,
  EmulatorControl,
  EmulatorFaults,
  EmulatorLimits,
  EmulatorState,
  EmulatorTimings,
} from './types.js';
import { isObject } from './validate.js';
import { seededRandom } from './random.js';

function serverVpc(ctx: EmulatorContext, vpcId: string | undefined): VpcModel {
  if (vpcId !== undefined) {
    const vpc = ctx.store.vpcs.get(vpcId);
    if (!vpc) throw controlError(404, 'EMULATOR.NOT_FOUND', `VPC ${vpcId} does not exist.`);
    return vpc;
  }
  let n = ctx.store.vpcs.size + 1;
  const names = new Set([...ctx.store.vpcs.values()].map((v) => v.name));
  while (names.has(`vpc-emulator-${n}`)) n++;
  const vpc = insertVpc(ctx, { name: `vpc-emulator-${n}`, cidr: '192.168.0.0/16', readyAt: ctx.clock.now() });
  ctx.store.quotaExempt.vpcs.add(vpc.id);
  return vpc;
}

function serverSubnet(ctx: EmulatorContext, vpc: VpcModel): SubnetModel {
  for (const s of ctx.store.subnets.values()) if (s.f.vpcId === vpc.id) return s;
  const net: Cidr = vpc.net ? (vpc.net.prefix >= 24 ? vpc.net : cidrFrom(vpc.net.network, 24)) : requireCidr('192.168.0.0/24');
  const subnet = insertSubnet(ctx, {
    vpc,
    name: `subnet-emulator-${ctx.store.subnets.size + 1}`,
    net,
    cidr: formatCidr(net),
    gatewayIp: formatIpv4(firstHost(net)),
    readyAt: ctx.clock.now(),
  });
  ctx.store.quotaExempt.subnets.add(subnet.f.id);
  return subnet;
}

function checkServerOptions(o: unknown): CreateServerOptions {
  if (o === undefined || o === null) return {};
  if (!isObject(o)) throw controlError(400, 'EMULATOR.BAD_REQUEST', 'Body must be a JSON object.');
  const { name, vpc_id, status, max_nics } = o;
  if (name !== undefined && (typeof name !== 'string' || name.length > 64)) throw controlError(400, 'EMULATOR.BAD_REQUEST', 'name must be a string of at most 64 characters.');
  if (vpc_id !== undefined && typeof vpc_id !== 'string') throw controlError(400, 'EMULATOR.BAD_REQUEST', 'vpc_id must be a string.');
  if (status !== undefined && (typeof status !== 'string' || !/^[A-Z_]+$/.test(status))) throw controlError(400, 'EMULATOR.BAD_REQUEST', 'status must be an ECS status such as ACTIVE or SHUTOFF.');
  if (max_nics !== undefined && !(Number.isInteger(max_nics) && (max_nics as number) >= 1 && (max_nics as number) <= 128)) {
    throw controlError(400, 'EMULATOR.BAD_REQUEST', 'max_nics must be an integer in 1..128.');
  }
  return o as CreateServerOptions;
}

export function createServerModel(ctx: EmulatorContext, raw: unknown): ServerModel {
  const o = checkServerOptions(raw);
  const vpc = serverVpc(ctx, o.vpc_id);
  const subnet = serverSubnet(ctx, vpc);
  const ip = allocateIp(ctx, subnet, undefined);
  if (typeof ip === 'string') throw controlError(409, 'EMULATOR.SUBNET_FULL', `Subnet ${subnet.f.id} has no free address for a primary NIC.`);
  const now = ctx.clock.now();
  const az = ctx.settings.limits.availability_zones[0] ?? `${ctx.region}a`;
  const id = ctx.ids.uuid();
  const port = insertPort(ctx, subnet, ip, { deviceId: id, deviceOwner: `compute:${az}`, zoneId: az, primary: true, ecsCreated: true });
  ctx.store.quotaExempt.ports.add(port.f.id);
  const n = ++ctx.store.serverCounter;
  const server = new ServerModel(id, o.name ?? `server-${n}`, o.status ?? 'ACTIVE', vpc.id, o.max_nics, az, now, now, port.f.id);
  ctx.store.servers.set(id, server);
  return server;
}

const CONFIG_SECTIONS = new Set(['timings', 'faults', 'limits', 'seed']);

export function createControl(
  ctx: EmulatorContext,
  initial: { timings: EmulatorTimings; faults: EmulatorFaults; limits: EmulatorLimits },
  onReset: () => void,
): EmulatorControl {
  const config = (): EmulatorConfigView => structuredClone(ctx.settings);
  const initialRandom = ctx.random;
  return {
    reset() {
      ctx.store.clear();
      ctx.random = initialRandom;
      ctx.settings.timings = structuredClone(initial.timings);
      ctx.settings.faults = { ...initial.faults };
      ctx.settings.limits = structuredClone(initial.limits);
      onReset();
    },
    createServer(opts) {
      settle(ctx);
      return serverView(ctx, createServerModel(ctx, opts));
    },
    configure(patch: EmulatorConfigPatch) {
      if (!isObject(patch)) throw controlError(400, 'EMULATOR.BAD_CONFIG', 'Body must be {timings?, faults?, limits?, seed?}.');
      for (const key of Object.keys(patch)) {
        if (!CONFIG_SECTIONS.has(key)) throw controlError(400, 'EMULATOR.BAD_CONFIG', `Unknown config section: ${key}`);
      }
      const seed: unknown = patch.seed;
      if (seed !== undefined && !(typeof seed === 'number' && Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff)) {
        throw controlError(400, 'EMULATOR.BAD_CONFIG', 'seed must be an integer in 0..4294967295.');
      }
      const timings = patch.timings === undefined ? ctx.settings.timings : mergeTimings(ctx.settings.timings, patch.timings);
      if (typeof timings === 'string') throw controlError(400, 'EMULATOR.BAD_CONFIG', timings);
      const faults = patch.faults === undefined ? ctx.settings.faults : mergeFaults(ctx.settings.faults, patch.faults);
      if (typeof faults === 'string') throw controlError(400, 'EMULATOR.BAD_CONFIG', faults);
      const limits = patch.limits === undefined ? ctx.settings.limits : mergeLimits(ctx.settings.limits, patch.limits);
      if (typeof limits === 'string') throw controlError(400, 'EMULATOR.BAD_CONFIG', limits);
      ctx.settings.timings = timings;
      ctx.settings.faults = faults;
      ctx.settings.limits = limits;
      if (typeof seed === 'number') ctx.random = seededRandom(seed);
    },
    config,
    state(): EmulatorState {
      settle(ctx);
      const s = ctx.store;
      return {
        vpcs: [...s.vpcs.values()].map((v) => vpcView(ctx, v)),
        subnets: [...s.subnets.values()].map((v) => subnetView(ctx, v)),
        ports: [...s.ports.values()].map((v) => portView(ctx, v)),
        servers: [...s.servers.values()].map((v) => serverView(ctx, v)),
        jobs: [...s.jobs.values()].filter((j) => !isPurged(ctx, j)).map((j) => jobView(ctx, j)),
        calls: { ...s.calls },
      };
    },
    updateServer(id, patch): ServerDetail {
      settle(ctx);
      const server = ctx.store.servers.get(id);
      if (!server) throw controlError(404, 'EMULATOR.NOT_FOUND', `Server ${id} does not exist.`);
      if (!isObject(patch)) throw controlError(400, 'EMULATOR.BAD_REQUEST', 'Body must be {status?, locked?}.');
      if (patch.status !== undefined && (typeof patch.status !== 'string' || !/^[A-Z_]+$/.test(patch.status))) {
        throw controlError(400, 'EMULATOR.BAD_REQUEST', 'status must be an ECS status such as ACTIVE or SHUTOFF.');
      }
      if (patch.locked !== undefined && typeof patch.locked !== 'boolean') throw controlError(400, 'EMULATOR.BAD_REQUEST', 'locked must be a boolean.');
      if (patch.status !== undefined) server.status = patch.status;
      if (patch.locked !== undefined) server.locked = patch.locked;
      server.updatedAt = ctx.clock.now();
      return serverView(ctx, findServer(ctx, id));
    },
  };
}

/** HTTP control API: returns [status, body] for a /_emulator request, or undefined for an unknown path. */
export function handleControl(control: EmulatorControl, method: string, path: string, body: unknown): [number, unknown] | undefined {
  if (method === 'POST' && path === '/_emulator/reset') {
    control.reset();
    return [204, undefined];
  }
  if (method === 'POST' && path === '/_emulator/servers') return [201, { server: control.createServer(body as CreateServerOptions) }];
  const m = /^\/_emulator\/servers\/([^/]+)$/.exec(path);
  if (m && (method === 'PATCH' || method === 'PUT')) {
    return [200, { server: control.updateServer(decodeURIComponent(m[1] ?? ''), body as { status?: string }) }];
  }
  if (path === '/_emulator/config' && (method === 'PUT' || method === 'PATCH')) {
    control.configure((body ?? {}) as EmulatorConfigPatch);
    return [200, control.config()];
  }
  if (path === '/_emulator/config' && method === 'GET') return [200, control.config()];
  if (path === '/_emulator/state' && method === 'GET') return [200, control.state()];
  return undefined;
}
