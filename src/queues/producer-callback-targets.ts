/**
 * callback_url targets checked at submission, as webhook subscriptions are at registration (src/events/
 * outbound-guard.ts): a request or batch whose callback_url points at a loopback, private, link-local, CGNAT,
 * unspecified, multicast or reserved address is refused with 400 CALLBACK_URL_FORBIDDEN unless private targets
 * are allowed (WEBHOOK_ALLOW_PRIVATE); a cloud metadata address (169.254.169.254, …) always is. Nothing is
 * written: the check runs before the Idempotency-Key is claimed.
 *
 * Only what the URL itself says is judged: an IP literal (in any form the URL parser normalises, so
 * `http://2130706433/` and `http://[::ffff:127.0.0.1]/` are 127.0.0.1) and the names that are local by
 * definition (`localhost`, `*.localhost`, RFC 6761). Other host names are NOT resolved here — a DNS lookup per
 * item would put up to 1,000 lookups (and a resolver outage) on the submission path, and the answer could change
 * before the delivery anyway; the delivery checks every address the name resolves to at connect time (the
 * outbound guard's lookup), which also defeats DNS rebinding.
 */
import { ValidationError } from '../lib/errors.js';
import { classifyAddress, isAddressAllowed, type AddressClass } from '../events/address-class.js';

export const CALLBACK_URL_FORBIDDEN = 'CALLBACK_URL_FORBIDDEN';

interface Verdict {
  host: string;
  cls: AddressClass;
}

/** The refusal of one callback_url (undefined: allowed here), for a URL the request schema accepted. */
export function callbackTargetVerdict(raw: string, allowPrivate: boolean): Verdict | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined; // the schema (format http-url) reports malformed URLs
  }
  const h = url.hostname;
  const host = (h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h).toLowerCase();
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  if (name === 'localhost' || name.endsWith('.localhost')) return allowPrivate ? undefined : { host, cls: 'loopback' };
  if (classifyAddress(host) === 'invalid') return undefined; // a name: judged at delivery
  const verdict = isAddressAllowed(host, allowPrivate);
  return verdict.allowed ? undefined : { host, cls: verdict.cls };
}

interface CallbackCarrier {
  callback_url?: string | undefined;
  items?: ReadonlyArray<{ callback_url?: string | undefined }>;
}

/**
 * Throws a ValidationError (400 CALLBACK_URL_FORBIDDEN, `details.field` `callback_url` or
 * `items[i].callback_url` with `details.index`; every refused one under `details.errors`) when a callback_url
 * of the request or batch targets an address that is not allowed.
 */
export function assertCallbackTargets(body: CallbackCarrier, allowPrivate: boolean): void {
  const problems: Array<{ field: string; index?: number; code: string; message: string }> = [];
  const check = (url: string | undefined, field: string, index?: number): void => {
    if (url === undefined) return;
    const v = callbackTargetVerdict(url, allowPrivate);
    if (!v) return;
    const why =
      v.cls === 'metadata'
        ? 'a cloud metadata service address; such targets are always refused'
        : `a ${v.cls} address; such targets are refused unless WEBHOOK_ALLOW_PRIVATE is set`;
    problems.push({ field, ...(index === undefined ? {} : { index }), code: CALLBACK_URL_FORBIDDEN, message: `${field}: host ${v.host} is ${why}` });
  };
  check(body.callback_url, 'callback_url');
  body.items?.forEach((item, i) => check(item.callback_url, `items[${i}].callback_url`, i));
  const first = problems[0];
  if (!first) return;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  throw new ValidationError(
    `${body.items ? 'invalid batch' : 'invalid request'}: ${first.message}${more}`,
    {
      field: first.field,
      ...(first.index === undefined ? {} : { index: first.index }),
      errors: problems.slice(0, 20).map(({ field, code, message }) => ({ field, code, message })),
    },
    CALLBACK_URL_FORBIDDEN,
  );
}
