/** Field checks shared by the resource handlers (each handler maps a failure to its service's code). */

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Letters (incl. Chinese), digits, `_`, `-`, `.` (VPC and subnet names). */
const NAME_RE = /^[\p{L}\p{N}_.-]*$/u;

export function checkName(v: unknown, min: number, max: number): boolean {
  return typeof v === 'string' && v.length >= min && v.length <= max && NAME_RE.test(v);
}

/** 0–255 characters without `<` or `>`. */
export function checkDescription(v: unknown): boolean {
  return typeof v === 'string' && v.length <= 255 && !/[<>]/.test(v);
}

/** ≤10 tags of the form `key*value`. */
export function checkTags(v: unknown): boolean {
  return Array.isArray(v) && v.length <= 10 && v.every((t) => typeof t === 'string' && /^[^*]{1,36}\*[^*]{0,43}$/.test(t));
}

export function optional(v: unknown, check: (x: unknown) => boolean): boolean {
  return v === undefined || check(v);
}

export const isString = (v: unknown): v is string => typeof v === 'string';
export const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';
export const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);
