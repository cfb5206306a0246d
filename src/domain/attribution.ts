/**
 * Growth attribution (API.md "Growth: attribution…", SPEC §3.11): who brought a customer.
 * A field that is not set is absent (never null or an empty string).
 */
export interface Attribution {
  channel?: string;
  partner?: string;
  referrerCustomerId?: string;
}

export const ATTRIBUTION_FIELDS = ['channel', 'partner', 'referrerCustomerId'] as const;
export type AttributionField = (typeof ATTRIBUTION_FIELDS)[number];

/** Stored attribution columns: null for a field that is not set. */
export interface AttributionColumns {
  channel: string | null;
  partner: string | null;
  referrerCustomerId: string | null;
}

/** Drops fields that are not set (undefined, null or ''): "attribution fields not set are omitted". */
export function compactAttribution(a: Partial<Record<AttributionField, string | null | undefined>> | null | undefined): Attribution {
  const out: Attribution = {};
  if (!a) return out;
  for (const f of ATTRIBUTION_FIELDS) {
    const v = a[f];
    if (typeof v === 'string' && v !== '') out[f] = v;
  }
  return out;
}

/** The stored form: every field present, null when not set. */
export function attributionColumns(a: Partial<Record<AttributionField, string | null | undefined>> | null | undefined): AttributionColumns {
  const c = compactAttribution(a);
  return { channel: c.channel ?? null, partner: c.partner ?? null, referrerCustomerId: c.referrerCustomerId ?? null };
}

/**
 * A code's effective attribution: its own fields over its coupon's, field by field (a field the
 * code does not set comes from the coupon). A direct redemption (no code) takes the coupon's.
 */
export function effectiveAttribution(
  code: Partial<Record<AttributionField, string | null | undefined>> | null | undefined,
  coupon: Partial<Record<AttributionField, string | null | undefined>> | null | undefined,
): Attribution {
  const own = compactAttribution(code);
  const inherited = compactAttribution(coupon);
  const out: Attribution = {};
  for (const f of ATTRIBUTION_FIELDS) {
    const v = own[f] ?? inherited[f];
    if (v !== undefined) out[f] = v;
  }
  return out;
}
