/**
 * ShowSubnet answers shared by the subnet stages of one worker process: an answer that found the subnet
 * ACTIVE is reused for FRESH_MS, and a read already on its way is joined instead of repeated.
 *
 * Why (issue 7): a batch into one subnet made one ShowSubnet per attachment — 1,000 reads of the same answer
 * for a batch of 1,000, each one a signed call against the cloud's rate limit. What the stage checks does not
 * go stale in seconds: a subnet's VPC and neutron id never change, and a subnet that was ACTIVE a moment ago
 * still is unless it was deleted or broke just then — and then the port stage's CreatePort is refused (a
 * terminal failure with the cloud's code, nothing created), so no check is lost, only reported one stage later.
 * Answers that are not ACTIVE (still UNKNOWN, ERROR) and errors are never kept: a waiting stage always sees
 * the subnet's next state. The call is counted in the record of the attachment whose stage made it.
 */
import type { Subnet } from '../../cloud/types.js';
import type { Clock } from '../../lib/clock.js';

/** How long an ACTIVE answer is reused. */
export const SUBNET_READ_FRESH_MS = 5_000;
/** Answers kept at most (expired ones are dropped first; then the oldest). */
const MAX_ENTRIES = 1_000;

export interface SubnetReads {
  /** The subnet `id`: a fresh ACTIVE answer, the answer of a read in flight, or `read()` now. */
  get(id: string, read: () => Promise<Subnet>): Promise<Subnet>;
}

export function createSubnetReads(deps: { clock: Clock; freshMs?: number }): SubnetReads {
  const freshMs = deps.freshMs ?? SUBNET_READ_FRESH_MS;
  const answers = new Map<string, { at: number; subnet: Subnet }>();
  const inFlight = new Map<string, Promise<Subnet>>();

  const keep = (subnet: Subnet, at: number): void => {
    if (answers.size >= MAX_ENTRIES) {
      for (const [k, v] of answers) if (at - v.at >= freshMs) answers.delete(k);
      if (answers.size >= MAX_ENTRIES) answers.delete(answers.keys().next().value as string);
    }
    answers.set(subnet.id, { at, subnet });
  };

  return {
    get(id, read) {
      const hit = answers.get(id);
      if (hit && deps.clock.now() - hit.at < freshMs) return Promise.resolve(hit.subnet);
      const pending = inFlight.get(id);
      if (pending) return pending;
      const p = read().then(
        (subnet) => {
          inFlight.delete(id);
          if (subnet.status === 'ACTIVE' && subnet.id === id) keep(subnet, deps.clock.now());
          else answers.delete(id);
          return subnet;
        },
        (err: unknown) => {
          inFlight.delete(id);
          answers.delete(id);
          throw err;
        },
      );
      inFlight.set(id, p);
      return p;
    },
  };
}
