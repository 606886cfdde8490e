/** The stage functions by name. Each is a pure function of (record, deps) → outcome; no BullMQ here. */
import type { StageDeps } from '../deps.js';
import type { StageOutcome } from '../outcome.js';
import type { AttachmentRecord, StageName } from '../types.js';
import { runAttachStage } from './attach.js';
import { runNetworkStage } from './network.js';
import { runPollStage } from './poll.js';
import { dropUnrecordedPort, runPortStage } from './port.js';
import { runSubnetStage } from './subnet.js';

export type StageFunction = (record: AttachmentRecord, deps: StageDeps) => Promise<StageOutcome>;

export const STAGE_FUNCTIONS: Readonly<Record<StageName, StageFunction>> = {
  network: runNetworkStage,
  subnet: runSubnetStage,
  port: runPortStage,
  attach: runAttachStage,
  poll: runPollStage,
};

export function runStage(stage: StageName, record: AttachmentRecord, deps: StageDeps): Promise<StageOutcome> {
  return STAGE_FUNCTIONS[stage](record, deps);
}

/**
 * Undoes what a stage made when its `next` outcome could not be recorded because the attachment ended
 * meanwhile (the stage-change write found it terminal): only the port stage makes something then — its port,
 * which nobody would otherwise know of. Returns why something was undone, or undefined.
 */
export function undoUnrecorded(stage: StageName, outcome: StageOutcome, deps: StageDeps): Promise<string | undefined> {
  return stage === 'port' ? dropUnrecordedPort(outcome, deps) : Promise.resolve(undefined);
}

export { runCleanup, type CleanupOutcome, type CleanupDeps } from './cleanup.js';
export { portName } from './common.js';
export { createSubnetOption, subnetLockKey } from './subnet.js';
export { createPortOption } from './port.js';
export { primaryNetId, serverVpcId, ATTACH_ALLOWED_SERVER_STATES } from './network.js';
export { jobDuration } from './poll.js';
