import type { Clock } from '../../src/clock';

/**
 * A clock that stays where the test puts it. With `stepMs`, every read moves it on by that much
 * afterwards, so successive requests see distinct, increasing instants (creation order) while
 * the test still knows exactly where it stands.
 */
export class TestClock implements Clock {
  private at: number;

  constructor(
    start: string,
    private readonly stepMs = 0,
  ) {
    this.at = Date.parse(start);
    if (Number.isNaN(this.at)) throw new Error(`not an instant: ${start}`);
  }

  now(): string {
    const at = this.at;
    this.at += this.stepMs;
    return new Date(at).toISOString();
  }

  set(instant: string): void {
    const at = Date.parse(instant);
    if (Number.isNaN(at)) throw new Error(`not an instant: ${instant}`);
    this.at = at;
  }

  /** Moves the clock by `ms` (may be negative) and answers the new instant. */
  advance(ms: number): string {
    this.at += ms;
    return new Date(this.at).toISOString();
  }

  /** The instant `ms` from the clock's current one, without moving it. */
  plus(ms: number): string {
    return new Date(this.at + ms).toISOString();
  }
}
