/**
 * The demo's cloud and its batch: servers made through the embedded emulator's control surface, and ~50
 * attachment requests — a shared new subnet, fixed IPs, and a few that must fail for a real reason — each
 * tagged (metadata.demo_case) with the outcome the demo expects, so it can tell a right answer from a wrong one.
 *
 *   shared-subnet  36  12 servers × 3 NICs in one new subnet "demo-shared" (created once, by whichever
 *                      attachment gets there first)                                     → succeeded
 *   fixed-ip        8  2 servers × 4 NICs at chosen addresses of a second new subnet "demo-fixed" (kept
 *                      apart: in a subnet that also hands out addresses, an automatic one may take a
 *                      chosen address first — FIXED_IP_IN_USE, as in the cloud)        → succeeded, at that IP
 *   ip-in-use       1  the primary NIC address of another server                         → FIXED_IP_IN_USE
 *   vpc-mismatch    2  a server of another VPC asked for a NIC in the demo VPC           → VPC_MISMATCH
 *   nic-limit       2  a server whose flavor allows one NIC (the primary)                → NIC_LIMIT_REACHED
 *   server-state    1  a server in ERROR                                                 → SERVER_STATE_INVALID
 */
import type { ServerDetail } from '../../cloud/types.js';
import type { EmulatorControl } from '../../emulator/types.js';
import type { AttachmentRequest } from '../../workflow/types.js';

export const SHARED_SUBNET = { name: 'demo-shared', cidr: '192.168.10.0/24' } as const;
export const FIXED_SUBNET = { name: 'demo-fixed', cidr: '192.168.20.0/24' } as const;

export interface Expectation {
  status: 'succeeded' | 'failed';
  code?: string;
  /** The address the NIC must get (fixed IPs). */
  ip?: string;
}

export interface DemoCase {
  name: string;
  description: string;
  expect: Expectation;
}

export const CASES: readonly DemoCase[] = [
  { name: 'shared-subnet', description: 'new subnet shared by 12 servers', expect: { status: 'succeeded' } },
  { name: 'fixed-ip', description: 'fixed IPs in a second new subnet', expect: { status: 'succeeded' } },
  { name: 'ip-in-use', description: 'fixed IP already taken by a primary NIC', expect: { status: 'failed', code: 'FIXED_IP_IN_USE' } },
  { name: 'vpc-mismatch', description: 'server in another VPC', expect: { status: 'failed', code: 'VPC_MISMATCH' } },
  { name: 'nic-limit', description: 'server with no free NIC slot', expect: { status: 'failed', code: 'NIC_LIMIT_REACHED' } },
  { name: 'server-state', description: 'server in ERROR state', expect: { status: 'failed', code: 'SERVER_STATE_INVALID' } },
];

export interface DemoItem {
  request: AttachmentRequest;
  case: string;
  expect: Expectation;
}

export interface DemoScenario {
  servers: ServerDetail[];
  items: DemoItem[];
  vpcId: string;
}

function primaryAddress(server: ServerDetail): string {
  const addr = Object.values(server.addresses)
    .flat()
    .find((a) => a.primary === true || a['OS-EXT-IPS:type'] === 'fixed');
  if (!addr) throw new Error(`server ${server.id} has no primary address`);
  return addr.addr;
}

/** Creates the servers in the emulator and returns the batch items with their expected outcomes. */
export function buildScenario(control: EmulatorControl, opts: { callbackUrl?: string } = {}): DemoScenario {
  const first = control.createServer({ name: 'demo-web-01' });
  const vpcId = first.metadata.vpc_id;
  if (!vpcId) throw new Error('the emulator gave the first demo server no VPC');
  const inVpc = (name: string, extra: { max_nics?: number; status?: string } = {}): ServerDetail => control.createServer({ name, vpc_id: vpcId, ...extra });

  const shared = [first, ...Array.from({ length: 11 }, (_, i) => inVpc(`demo-web-${String(i + 2).padStart(2, '0')}`))];
  const fixed = [inVpc('demo-db-01'), inVpc('demo-db-02')];
  const otherVpc = control.createServer({ name: 'demo-other-vpc' });
  const full = inVpc('demo-one-nic', { max_nics: 1 });
  const broken = inVpc('demo-broken', { status: 'ERROR' });
  const primarySubnet = control.state().subnets.find((s) => s.vpc_id === vpcId);
  if (!primarySubnet) throw new Error('the demo VPC has no primary subnet');

  const expectOf = (name: string): Expectation => ({ ...(CASES.find((c) => c.name === name) as DemoCase).expect });
  const item = (caseName: string, request: AttachmentRequest, expect: Expectation = expectOf(caseName)): DemoItem => ({
    case: caseName,
    expect,
    request: { ...request, metadata: { demo_case: caseName, ...request.metadata } },
  });
  const items: DemoItem[] = [];
  for (let round = 0; round < 3; round++) {
    for (const s of shared) items.push(item('shared-subnet', { server_id: s.id, subnet: { ...SHARED_SUBNET } }));
  }
  fixed.forEach((s, i) => {
    for (let n = 0; n < 4; n++) {
      const ip = `192.168.20.${100 + i * 4 + n}`;
      items.push(
        item(
          'fixed-ip',
          { server_id: s.id, subnet: { ...FIXED_SUBNET }, port: { fixed_ip: ip }, ...(opts.callbackUrl ? { callback_url: opts.callbackUrl } : {}) },
          { ...expectOf('fixed-ip'), ip },
        ),
      );
    }
  });
  items.push(item('ip-in-use', { server_id: shared[1]?.id ?? first.id, subnet: { id: primarySubnet.id }, port: { fixed_ip: primaryAddress(first) } }));
  for (let n = 0; n < 2; n++) items.push(item('vpc-mismatch', { server_id: otherVpc.id, vpc: { id: vpcId }, subnet: { ...SHARED_SUBNET } }));
  for (let n = 0; n < 2; n++) items.push(item('nic-limit', { server_id: full.id, subnet: { ...SHARED_SUBNET } }));
  items.push(item('server-state', { server_id: broken.id, subnet: { ...SHARED_SUBNET } }));
  return { servers: [...shared, ...fixed, otherVpc, full, broken], items, vpcId };
}
