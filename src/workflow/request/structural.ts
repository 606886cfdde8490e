/**
 * Structural validation against a TypeBox schema, with errors a caller can act on: each problem names the field
 * (`subnet.gateway_ip`, `items[3].server_id`) and a stable code. TypeBox's compiled check runs first (fast path);
 * the error walk runs only for invalid input. For a union (`vpc`: `{id}` or `{name, cidr}`) the problems of the
 * variant the input most resembles are reported, not "matches no variant".
 */
import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import { ensureFormats } from './formats.js';

export interface FieldProblem {
  /** Dotted path of the field (`subnet.cidr`, `items[2].port.fixed_ip`); `(body)` for the whole value. */
  field: string;
  code: string;
  message: string;
}

export type StructuralValidator = (value: unknown) => FieldProblem[];

/** `/items/3/subnet/cidr` → `items[3].subnet.cidr`. */
export function pointerToField(pointer: string): string {
  if (pointer === '' || pointer === '/') return '(body)';
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(part)) out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out;
}

const TYPE_NAMES: Partial<Record<ValueErrorType, string>> = {
  [ValueErrorType.String]: 'a string',
  [ValueErrorType.Number]: 'a number',
  [ValueErrorType.Integer]: 'an integer',
  [ValueErrorType.Boolean]: 'a boolean',
  [ValueErrorType.Object]: 'an object',
  [ValueErrorType.Array]: 'an array',
  [ValueErrorType.Null]: 'null',
};

const STRING_CONSTRAINTS = new Set<ValueErrorType>([
  ValueErrorType.StringFormat,
  ValueErrorType.StringPattern,
  ValueErrorType.StringMinLength,
  ValueErrorType.StringMaxLength,
]);

/** What a string that fails its format, pattern or length must look like, by error code. */
const FRIENDLY: Record<string, string> = {
  INVALID_UUID: 'must be a UUID (8-4-4-4-12 hexadecimal digits)',
  INVALID_IP: 'must be an IPv4 address (a.b.c.d)',
  INVALID_DNS: 'must be an IPv4 address (a.b.c.d)',
  INVALID_CIDR: 'must be an IPv4 CIDR (a.b.c.d/n)',
  INVALID_NAME: 'must be 1–64 characters: letters, digits, Chinese characters, "_", "-" or "."',
  INVALID_DESCRIPTION: 'must be at most 255 characters, without "<" or ">"',
  INVALID_CALLBACK_URL: 'must be an absolute http:// or https:// URL (at most 2048 characters, no credentials)',
  INVALID_AVAILABILITY_ZONE: 'must be an availability zone name such as cn-north-4a',
  INVALID_DHCP_OPTION: 'must be at most 64 characters',
};

function errorCodeOf(schema: TSchema): string | undefined {
  const c = (schema as Record<string, unknown>)['x-error-code'];
  return typeof c === 'string' ? c : undefined;
}

function lastKey(path: string): string {
  const parts = path.split('/');
  return (parts[parts.length - 1] ?? '').replace(/~1/g, '/').replace(/~0/g, '~');
}

function isLiteralUnion(schema: TSchema): boolean {
  const anyOf = (schema as { anyOf?: TSchema[] }).anyOf;
  return Array.isArray(anyOf) && anyOf.every((s) => 'const' in s);
}

/** How well an object value matches a variant: shared keys count, and so does every required key present. */
function resemblance(variant: TSchema, value: unknown): number {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 0;
  const props = (variant as { properties?: Record<string, unknown> }).properties ?? {};
  return Object.keys(value).filter((k) => k in props).length;
}

function describe(error: ValueError, out: FieldProblem[]): void {
  const field = pointerToField(error.path);
  const custom = errorCodeOf(error.schema);
  switch (error.type) {
    case ValueErrorType.ObjectAdditionalProperties: {
      out.push({ field, code: 'UNKNOWN_FIELD', message: `${field}: unknown field "${lastKey(error.path)}"` });
      return;
    }
    case ValueErrorType.ObjectRequiredProperty:
      out.push({ field, code: 'MISSING_FIELD', message: `${field}: required` });
      return;
    case ValueErrorType.Union: {
      if (isLiteralUnion(error.schema)) {
        const allowed = (error.schema as unknown as { anyOf: Array<{ const: unknown }> }).anyOf.map((s) => JSON.stringify(s.const)).join(', ');
        out.push({ field, code: custom ?? 'INVALID_VALUE', message: `${field}: must be one of ${allowed}` });
        return;
      }
      const value = error.value;
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        out.push({ field, code: 'INVALID_TYPE', message: `${field}: must be an object` });
        return;
      }
      const variants = (error.schema as unknown as { anyOf: TSchema[] }).anyOf;
      const candidates = error.errors.map((iterator, i) => ({ errors: [...iterator], score: resemblance(variants[i] as TSchema, value) }));
      candidates.sort((a, b) => b.score - a.score || a.errors.length - b.errors.length);
      const best = candidates[0];
      if (!best || best.errors.length === 0) {
        out.push({ field, code: custom ?? 'INVALID_VALUE', message: `${field}: matches none of the accepted forms` });
        return;
      }
      for (const e of best.errors) describe(e, out);
      return;
    }
    default:
      break;
  }
  const typeName = TYPE_NAMES[error.type];
  if (typeName !== undefined) {
    out.push({ field, code: 'INVALID_TYPE', message: `${field}: must be ${typeName}` });
    return;
  }
  const friendly = custom !== undefined && STRING_CONSTRAINTS.has(error.type) ? FRIENDLY[custom] : undefined;
  const what = friendly ?? error.message.charAt(0).toLowerCase() + error.message.slice(1);
  out.push({ field, code: custom ?? 'INVALID_VALUE', message: `${field}: ${what}` });
}

/** Compile a validator for a schema. Returns the problems found (empty when valid). */
export function createStructuralValidator(schema: TSchema): StructuralValidator {
  ensureFormats();
  const compiled = TypeCompiler.Compile(schema);
  return (value) => {
    if (compiled.Check(value)) return [];
    const out: FieldProblem[] = [];
    for (const error of compiled.Errors(value)) describe(error, out);
    // TypeBox also type-checks a missing property as `undefined`: "required" says it all.
    const missing = new Set(out.filter((p) => p.code === 'MISSING_FIELD').map((p) => p.field));
    const seen = new Set<string>();
    return out.filter((p) => {
      if (missing.has(p.field) && p.code !== 'MISSING_FIELD') return false;
      const key = `${p.field}\u0000${p.code}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  };
}
