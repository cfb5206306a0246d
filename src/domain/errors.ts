/**
 * The one error type the domain throws or returns. `code` is a machine-readable snake_case
 * string; `field` (optional) names the input path at fault. No HTTP status lives here: the
 * HTTP layer maps codes to statuses.
 */
export class DomainError extends Error {
  readonly code: string;
  readonly field?: string;

  constructor(code: string, message: string, field?: string) {
    super(message);
    this.name = 'DomainError';
    this.code = code;
    if (field !== undefined) this.field = field;
  }
}

/** A typed success-or-refusal value, for functions whose refusals are ordinary outcomes. */
export type Result<T, E = DomainError> = { ok: true; value: T } | { ok: false; error: E };

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function fail(code: string, message: string, field?: string): { ok: false; error: DomainError } {
  return { ok: false, error: new DomainError(code, message, field) };
}
