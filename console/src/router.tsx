import { useEffect, useState, type AnchorHTMLAttributes, type MouseEvent } from 'react';
import { encodedPath } from './paths';

/** A small history router under /admin: the path and query string are the page's state. */
export const BASE = '/admin';

function current(): { path: string; search: string } {
  const p = window.location.pathname.startsWith(BASE) ? window.location.pathname.slice(BASE.length) : window.location.pathname;
  return { path: p.replace(/\/+$/, '') || '/', search: window.location.search };
}

export function navigate(to: string, replace = false): void {
  const url = BASE + (to === '/' ? '' : to);
  if (replace) window.history.replaceState(null, '', url);
  else window.history.pushState(null, '', url);
  window.dispatchEvent(new Event('couponflow:navigate'));
}

export function useLocation(): { path: string; search: URLSearchParams } {
  const [loc, setLoc] = useState(current);
  useEffect(() => {
    const on = () => setLoc(current());
    window.addEventListener('popstate', on);
    window.addEventListener('couponflow:navigate', on);
    return () => {
      window.removeEventListener('popstate', on);
      window.removeEventListener('couponflow:navigate', on);
    };
  }, []);
  return { path: loc.path, search: new URLSearchParams(loc.search) };
}

/** Sets query parameters (empty values removed) on the current path. */
export function setSearch(path: string, params: Record<string, string | undefined | null>, replace = false): void {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) qs.set(k, v);
  const s = qs.toString();
  navigate(s ? `${path}?${s}` : path, replace);
}

export function Link({ to, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { to: string }) {
  return (
    <a
      {...rest}
      href={BASE + (to === '/' ? '' : to)}
      onClick={(e: MouseEvent<HTMLAnchorElement>) => {
        onClick?.(e);
        if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(to);
      }}
    />
  );
}

/**
 * A console path from its fixed text and its segments, each encoded as apiPath does:
 * pagePath`/coupons/${id}/edit`. `match` decodes them back.
 */
export function pagePath(strings: TemplateStringsArray, ...values: (string | number)[]): string {
  return encodedPath(strings, values);
}

/** Matches a path against a pattern such as /coupons/:id; null when it does not match. Segments are decoded (build paths with pagePath). */
export function match(pattern: string, path: string): Record<string, string> | null {
  const a = pattern.split('/');
  const b = path.split('/');
  if (a.length !== b.length) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i < a.length; i++) {
    if (a[i].startsWith(':')) out[a[i].slice(1)] = decodeURIComponent(b[i]);
    else if (a[i] !== b[i]) return null;
  }
  return out;
}
