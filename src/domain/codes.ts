/** SPEC §3.8 code form: A–Z 0–9 _ -, 3 to 64 characters after trimming; input is upper-cased. */
export const CODE_PATTERN = /^[A-Z0-9_-]{3,64}$/;
export const CODE_CHARS = /^[A-Z0-9_-]*$/;
export const MIN_CODE_LENGTH = 3;
export const MAX_CODE_LENGTH = 64;

/** The stored form of a typed code: trimmed and upper-cased. Matching is therefore case-insensitive. */
export function normalizeCode(input: string): string {
  return input.trim().toUpperCase();
}

/**
 * True when `input`, once normalized, is a valid code. Only ASCII letters are accepted (so no
 * Unicode letter can upper-case its way into the alphabet, e.g. "ﬀ" → "FF").
 */
export function isValidCode(input: string): boolean {
  const trimmed = input.trim();
  return /^[A-Za-z0-9_-]*$/.test(trimmed) && CODE_PATTERN.test(trimmed.toUpperCase());
}
