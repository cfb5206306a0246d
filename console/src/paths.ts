/**
 * Paths built from data. Every value put into a path is one segment, encodeURIComponent'ed, so
 * an id read from the console's URL (where `%2F` decodes to `/`) can never reach another
 * resource of the API. api.ts re-exports apiPath; the router builds its links with pagePath.
 */

declare const API_PATH: unique symbol;

/**
 * A path of the /v1 API as apiPath builds it. Every function of api.ts that calls the API takes only
 * this type, so no path reaches fetch with a value spliced in unencoded.
 */
export type ApiPath = string & { readonly [API_PATH]: true };

/**
 * One path segment from data (an id, a code, an action): encodeURIComponent'ed, so `/`, `?`,
 * `#` and `%` stay inside the segment. `.`, `..` and the empty string are refused: a URL
 * resolves them (even written %2E%2E) to another path.
 */
export function pathSegment(value: string | number): string {
  const s = String(value);
  if (s === '' || s === '.' || s === '..') throw new Error(`"${s}" cannot be a path segment`);
  return encodeURIComponent(s);
}

/** The template's text with each value between as one pathSegment. */
export function encodedPath(strings: readonly string[], values: readonly (string | number)[]): string {
  return strings.reduce((out, text, i) => out + text + (i < values.length ? pathSegment(values[i] as string | number) : ''), '');
}

/**
 * An API path from its fixed text and its segments: apiPath`/v1/coupons/${id}/archive`. Each
 * value is one segment (pathSegment), so an id `../webhook-endpoints/x` stays
 * `/v1/coupons/..%2Fwebhook-endpoints%2Fx` and never names another resource.
 */
export function apiPath(strings: TemplateStringsArray, ...values: (string | number)[]): ApiPath {
  return encodedPath(strings, values) as ApiPath;
}
