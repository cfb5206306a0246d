import type { CustomerKind, Customer, RegionRule } from './terms';

function domainOf(email: string): string | null {
  const at = email.trim().lastIndexOf('@');
  if (at <= 0) return null;
  const domain = email.trim().slice(at + 1).toLowerCase();
  return domain === '' ? null : domain;
}

/**
 * SPEC §3.5 email domains, case-insensitive: `example.com` matches exactly that domain;
 * `*.example.com` matches its subdomains only (not example.com itself). A leading `@` in a
 * rule is ignored. Omitted rules allow everyone; a customer without a usable email matches no rule.
 */
export function emailDomainAllowed(domains: readonly string[] | undefined, email: string | null | undefined): boolean {
  if (domains === undefined) return true;
  const domain = email ? domainOf(email) : null;
  if (domain === null) return false;
  return domains.some((raw) => {
    const rule = raw.trim().toLowerCase().replace(/^@/, '');
    if (rule.startsWith('*.')) {
      const base = rule.slice(1); // ".example.com"
      return domain.length > base.length && domain.endsWith(base);
    }
    return domain === rule;
  });
}

const norm = (s: string): string => s.replace(/\s+/g, '').toUpperCase();

/** One region rule: the country matches and every list given matches (region code; postal prefix). */
export function regionRuleMatches(rule: RegionRule, customer: Pick<Customer, 'country' | 'region' | 'postalCode'>): boolean {
  if (!customer.country || norm(rule.country) !== norm(customer.country)) return false;
  if (rule.regions !== undefined) {
    const region = customer.region ? norm(customer.region) : null;
    if (region === null || !rule.regions.some((r) => norm(r) === region)) return false;
  }
  if (rule.postalPrefixes !== undefined) {
    const postal = customer.postalCode ? norm(customer.postalCode) : null;
    if (postal === null || !rule.postalPrefixes.some((p) => postal.startsWith(norm(p)))) return false;
  }
  return true;
}

/**
 * SPEC §3.5 regions: allowed when some rule matches. Comparisons are case-insensitive and
 * ignore spaces (postal codes like "SW1A 1AA"). Omitted rules allow everyone.
 */
export function regionAllowed(
  regions: readonly RegionRule[] | undefined,
  customer: Pick<Customer, 'country' | 'region' | 'postalCode'>,
): boolean {
  if (regions === undefined) return true;
  return regions.some((rule) => regionRuleMatches(rule, customer));
}

/** `new` = no paid subscription yet; `existing` = at least one; `any`/omitted = everyone. */
export function customerKindAllowed(kind: CustomerKind | undefined, customer: Pick<Customer, 'hasPaidSubscription'>): boolean {
  if (kind === 'new') return !customer.hasPaidSubscription;
  if (kind === 'existing') return customer.hasPaidSubscription;
  return true;
}
