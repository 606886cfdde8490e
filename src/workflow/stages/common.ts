/** Small helpers the stage files share: cloud error tests, names, CIDR comparison. */
import { isCloudError } from '../../cloud/errors.js';
import { formatCidr, parseCidr } from '../../lib/net.js';
import type { InterfaceAttachment, ServerInterfaces } from '../../cloud/types.js';

export function cloudCodeOf(err: unknown): string | undefined {
  return isCloudError(err) ? err.cloudCode : undefined;
}

export function isNotFound(err: unknown): boolean {
  return isCloudError(err) && err.isNotFound;
}

export function requestIdOf(err: unknown): string | undefined {
  return isCloudError(err) ? err.requestId : undefined;
}

/**
 * May a failed create have been carried out anyway? Yes when its answer was lost (timeout, cut connection, a
 * malformed 2xx: `outcomeUnknown`), and for an error that is not a cloud answer at all; no for a cloud error
 * response (the cloud refused before acting).
 */
export function mayHaveActed(err: unknown): boolean {
  return isCloudError(err) ? err.outcomeUnknown : true;
}

/** The deterministic port name: the port stage finds its own port by it before creating one. */
export function portName(attachmentId: string): string {
  return `nicattach-${attachmentId}`;
}

export function sameCidr(a: string, b: string): boolean {
  const pa = parseCidr(a);
  const pb = parseCidr(b);
  if (!pa || !pb) return a === b;
  return formatCidr(pa) === formatCidr(pb);
}

export function findInterface(ifs: ServerInterfaces, portId: string): InterfaceAttachment | undefined {
  return ifs.interfaceAttachments.find((i) => i.port_id === portId);
}

/** A delay between `base` and 3 × `base`, so waiters on the same thing do not come back in lockstep. */
export function jittered(base: number, random: () => number = Math.random): number {
  return Math.round(base * (1 + 2 * random()));
}
