/**
 * Shared ShowSubnet answers: an ACTIVE answer is reused while fresh and read again after; concurrent reads of
 * one subnet make one call; answers that are not ACTIVE, and errors, are never reused.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Subnet } from '../../../src/cloud/types.js';
import { manualClock } from '../../../src/lib/clock.js';
import { createSubnetReads, SUBNET_READ_FRESH_MS } from '../../../src/workflow/stages/subnet-reads.js';

function subnet(status: Subnet['status'], id = 'sub-1'): Subnet {
  return { id, status, vpc_id: 'vpc-1', neutron_subnet_id: 'n-1', name: 'a', cidr: '192.168.0.0/24' } as Subnet;
}

function counting(answer: () => Promise<Subnet>): { read: () => Promise<Subnet>; readonly calls: number } {
  let calls = 0;
  return {
    read: () => {
      calls += 1;
      return answer();
    },
    get calls() {
      return calls;
    },
  };
}

describe('shared subnet reads', () => {
  it('reuses an ACTIVE answer while it is fresh, then reads again', async () => {
    const clock = manualClock(1_000_000);
    const reads = createSubnetReads({ clock });
    const c = counting(async () => subnet('ACTIVE'));
    assert.equal((await reads.get('sub-1', c.read)).status, 'ACTIVE');
    clock.advance(SUBNET_READ_FRESH_MS - 1);
    await reads.get('sub-1', c.read);
    assert.equal(c.calls, 1);
    clock.advance(1);
    await reads.get('sub-1', c.read);
    assert.equal(c.calls, 2);
  });

  it('joins a read in flight: concurrent stages make one call', async () => {
    const reads = createSubnetReads({ clock: manualClock(0) });
    let release!: (s: Subnet) => void;
    const c = counting(() => new Promise<Subnet>((resolve) => (release = resolve)));
    const all = Promise.all([reads.get('sub-1', c.read), reads.get('sub-1', c.read), reads.get('sub-1', c.read)]);
    release(subnet('ACTIVE'));
    assert.deepEqual((await all).map((s) => s.status), ['ACTIVE', 'ACTIVE', 'ACTIVE']);
    assert.equal(c.calls, 1);
  });

  it('never reuses an answer that is not ACTIVE, nor an error', async () => {
    const reads = createSubnetReads({ clock: manualClock(0) });
    const unknown = counting(async () => subnet('UNKNOWN'));
    await reads.get('sub-1', unknown.read);
    await reads.get('sub-1', unknown.read);
    assert.equal(unknown.calls, 2);
    const failing = counting(async () => {
      throw new Error('VPC.0202 subnet not found');
    });
    await assert.rejects(reads.get('sub-2', failing.read));
    await assert.rejects(reads.get('sub-2', failing.read));
    assert.equal(failing.calls, 2);
  });
});
