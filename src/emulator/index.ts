/**
 * The Huawei Cloud ECS/VPC emulator (design.md §4, issue 3): `createEmulator(opts)` builds one in-process
 * emulator — state, gateway, HTTP server on demand — with an injectable clock, id generator and random source.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock } from '../lib/clock.js';
import { hex32, uuid } from '../lib/ids.js';
import { silentLogger } from '../lib/logger.js';
import { createControl } from './control.js';
import { createGateway } from './gateway.js';
import { createRouter } from './router.js';
import { createHttpServer } from './server.js';
import { DEFAULT_TIMINGS, NO_FAULTS, defaultLimits, mergeFaults, mergeLimits, mergeTimings } from './settings.js';
import { Store, type EmulatorContext } from './store.js';
import type { Emulator, EmulatorOptions } from './types.js';

export type * from './types.js';

export function createEmulator(opts: EmulatorOptions): Emulator {
  const region = opts.region ?? 'cn-north-4';
  const timings = mergeTimings(DEFAULT_TIMINGS, opts.timings ?? {});
  if (typeof timings === 'string') throw new TypeError(`createEmulator: ${timings}`);
  const faults = mergeFaults(NO_FAULTS, opts.faults ?? {});
  if (typeof faults === 'string') throw new TypeError(`createEmulator: ${faults}`);
  const limits = mergeLimits(defaultLimits(region), opts.limits ?? {});
  if (typeof limits === 'string') throw new TypeError(`createEmulator: ${limits}`);
  if (!opts.projectId || !opts.accessKey || !opts.secretKey) throw new TypeError('createEmulator: projectId, accessKey and secretKey are required');
  const ids = opts.ids ?? { uuid, hex32 };
  const ctx: EmulatorContext = {
    store: new Store(),
    settings: { timings, faults, limits },
    clock: opts.clock ?? systemClock,
    ids,
    random: opts.random ?? Math.random,
    projectId: opts.projectId,
    region,
    logger: opts.logger ?? silentLogger(),
    defaultSecurityGroupId: ids.uuid(),
    userId: ids.hex32(),
  };
  const gateway = createGateway(ctx, { accessKey: opts.accessKey, secretKey: opts.secretKey, tokens: opts.tokens ?? [] });
  const control = createControl(ctx, { timings: structuredClone(timings), faults: { ...faults }, limits: structuredClone(limits) }, () => gateway.reset());
  const router = createRouter();
  const timers = new Set<NodeJS.Timeout>();
  let server: Server | undefined;

  return {
    control,
    async listen(o = {}) {
      if (server) throw new Error('emulator is already listening');
      const host = o.host ?? '127.0.0.1';
      const srv = createHttpServer({ ctx, router, gateway, control, allowRemoteControl: opts.allowRemoteControl ?? false, timers });
      server = srv;
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(o.port ?? 0, host, () => {
          srv.off('error', reject);
          resolve();
        });
      });
      const port = (srv.address() as AddressInfo).port;
      const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
      const url = `http://${urlHost}:${port}`;
      ctx.logger.info({ url, project_id: opts.projectId, region }, 'emulator listening');
      return { url, port };
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      const srv = server;
      server = undefined;
      if (!srv) return;
      await new Promise<void>((resolve) => {
        srv.close(() => resolve());
        srv.closeAllConnections();
      });
    },
  };
}
