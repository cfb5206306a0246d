import { DomainError } from './errors';

/**
 * ISO 4217 minor-unit exponents. Every currency with exponent 0, 3 or 4 is listed, plus the
 * commonly billed 2-decimal currencies. Codes are upper-case, as ISO writes them.
 */
const EXPONENT_0 = [
  'BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF', 'UGX', 'UYI', 'VND', 'VUV',
  'XAF', 'XOF', 'XPF',
] as const;
const EXPONENT_3 = ['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND'] as const;
const EXPONENT_4 = ['CLF', 'UYW'] as const;
const EXPONENT_2 = [
  'AED', 'ALL', 'AMD', 'ANG', 'AOA', 'ARS', 'AUD', 'AWG', 'AZN', 'BAM', 'BBD', 'BDT', 'BGN', 'BMD',
  'BND', 'BOB', 'BRL', 'BSD', 'BWP', 'BYN', 'BZD', 'CAD', 'CDF', 'CHF', 'CNY', 'COP', 'CRC', 'CZK',
  'DKK', 'DOP', 'DZD', 'EGP', 'ETB', 'EUR', 'FJD', 'GBP', 'GEL', 'GHS', 'GMD', 'GTQ', 'GYD', 'HKD',
  'HNL', 'HTG', 'HUF', 'IDR', 'ILS', 'INR', 'JMD', 'KES', 'KGS', 'KHR', 'KYD', 'KZT', 'LAK', 'LBP',
  'LKR', 'MAD', 'MDL', 'MKD', 'MNT', 'MOP', 'MUR', 'MVR', 'MXN', 'MYR', 'MZN', 'NAD', 'NGN', 'NIO',
  'NOK', 'NPR', 'NZD', 'PAB', 'PEN', 'PGK', 'PHP', 'PKR', 'PLN', 'QAR', 'RON', 'RSD', 'RUB', 'SAR',
  'SCR', 'SEK', 'SGD', 'THB', 'TRY', 'TTD', 'TWD', 'TZS', 'UAH', 'USD', 'UYU', 'UZS', 'XCD', 'ZAR',
  'ZMW',
] as const;

function table(): Readonly<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const c of EXPONENT_2) out[c] = 2;
  for (const c of EXPONENT_0) out[c] = 0;
  for (const c of EXPONENT_3) out[c] = 3;
  for (const c of EXPONENT_4) out[c] = 4;
  return Object.freeze(out);
}

/** Currency code → number of decimal places of its minor unit. */
export const CURRENCIES: Readonly<Record<string, number>> = table();

/** True for a known ISO 4217 code (exact, upper-case). */
export function isCurrency(code: string): boolean {
  return Object.prototype.hasOwnProperty.call(CURRENCIES, code);
}

/** The minor-unit exponent (JPY 0, USD 2, KWD 3); throws `unknown_currency` otherwise. */
export function currencyExponent(code: string): number {
  if (!isCurrency(code)) {
    throw new DomainError('unknown_currency', `Unknown currency "${code}"`, 'currency');
  }
  return CURRENCIES[code] as number;
}
