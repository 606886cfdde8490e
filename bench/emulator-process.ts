/**
 * The benchmarks' cloud: the emulator alone in a process of its own (so its CPU is not the measured
 * process's), zero timings until configured, and quotas large enough for 10,000 servers and their new NICs
 * (the real defaults — 100 VPCs, 10,000 ports — are per project and raised on request in the cloud too).
 * Prints {"url": …} on its first line; stops on SIGTERM.
 *
 *   node --import tsx bench/emulator-process.ts      (started by bench/lib.ts startChildEmulator)
 */
import { createEmulator } from '../src/emulator/index.js';
import { EMULATOR_CREDS } from './lib.js';

const emulator = createEmulator({
  ...EMULATOR_CREDS,
  timings: { vpc_ready_ms: 0, subnet_ready_ms: 0, job_ms: { min: 0, max: 0 } },
  limits: { vpc_quota: 1_000, subnet_quota: 10_000, port_quota: 100_000 },
});
const { url } = await emulator.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${JSON.stringify({ url })}\n`);
process.once('SIGTERM', () => {
  void emulator.close().then(() => process.exit(0));
});
