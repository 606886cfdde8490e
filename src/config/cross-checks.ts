/**
 * Checks that involve more than one key, which a per-key convict format cannot express. loadConfig runs them
 * after schema validation and adds their lines to the same list of problems, so an operator sees every
 * mistake at once, in the same "ENV_VAR (key): what is expected" form. They run on a config that may still
 * hold schema errors: each check looks only at values of the right type, so one bad value is reported once.
 */
import type { Config } from './types.js';

/** The parts of the config these checks read, loosely typed: the values are not validated yet. */
interface Unchecked {
  cloud?: { ak?: unknown; sk?: unknown; securityToken?: unknown; authToken?: unknown; projectId?: unknown };
  workflow?: { backoffBaseMs?: unknown; backoffMaxMs?: unknown; pollMinDelayMs?: unknown; pollMaxDelayMs?: unknown };
}

const isSet = (v: unknown): boolean => typeof v === 'string' && v !== '';
const isUnset = (v: unknown): boolean => v === '';

function minMax(min: unknown, max: unknown, maxLine: string, minEnv: string): string[] {
  return typeof min === 'number' && typeof max === 'number' && min > max ? [`${maxLine}: must be at least ${minEnv} (${min}); value was ${max}`] : [];
}

export function crossKeyProblems(config: Config | Unchecked): string[] {
  const { cloud = {}, workflow = {} } = config as Unchecked;
  const problems: string[] = [];
  // AK/SK signing needs both halves; with only one the service would fall back to the emulator (SK alone) or
  // fail on the first signed call (AK alone).
  if (isSet(cloud.ak) && isUnset(cloud.sk)) problems.push('HUAWEICLOUD_SDK_SK (cloud.sk): required with HUAWEICLOUD_SDK_AK');
  if (isSet(cloud.sk) && isUnset(cloud.ak)) problems.push('HUAWEICLOUD_SDK_AK (cloud.ak): required with HUAWEICLOUD_SDK_SK');
  // A security token belongs to temporary AK/SK (STS); with token auth it would be silently ignored.
  if (isSet(cloud.securityToken) && isUnset(cloud.ak)) {
    problems.push('HUAWEICLOUD_SDK_SECURITY_TOKEN (cloud.securityToken): only used with temporary HUAWEICLOUD_SDK_AK/SK; set those too, or unset it');
  }
  // Every ECS/VPC path carries the project id: real-cloud credentials without it cannot make one call.
  if ((isSet(cloud.ak) || isSet(cloud.authToken)) && isUnset(cloud.projectId)) {
    problems.push('HUAWEICLOUD_SDK_PROJECT_ID (cloud.projectId): required when cloud credentials are set (the IAM project id of the region, 32 hex)');
  }
  // Reversed bounds would make every retry delay (poll interval) the "max", silently.
  problems.push(...minMax(workflow.backoffBaseMs, workflow.backoffMaxMs, 'STAGE_BACKOFF_MAX_MS (workflow.backoffMaxMs)', 'STAGE_BACKOFF_BASE_MS'));
  problems.push(...minMax(workflow.pollMinDelayMs, workflow.pollMaxDelayMs, 'POLL_MAX_DELAY_MS (workflow.pollMaxDelayMs)', 'POLL_MIN_DELAY_MS'));
  return problems;
}
