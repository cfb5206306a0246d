/**
 * Where "now" comes from for requests and jobs. Production reads the system clock; tests pass a
 * clock they set, so every decision about time happens at an instant the test chose.
 */
export interface Clock {
  /** The current instant as an ISO-8601 UTC string. */
  now(): string;
}

export const systemClock: Clock = { now: () => new Date().toISOString() };
