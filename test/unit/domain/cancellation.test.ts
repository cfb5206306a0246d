import { cancellationInstant } from '../../../src/domain';

describe('cancellationInstant', () => {
  const now = '2026-11-25T12:00:00.000Z';
  it('defaults to now', () => expect(cancellationInstant(undefined, now)).toBe(now));
  it('takes an earlier instant, normalized to ISO UTC', () => {
    expect(cancellationInstant('2026-11-20T09:30:00+01:00', now)).toBe('2026-11-20T08:30:00.000Z');
  });
  it('takes now itself', () => expect(cancellationInstant('2026-11-25T12:00:00Z', now)).toBe(now));
  it('refuses a later instant (null)', () => expect(cancellationInstant('2026-11-25T12:00:00.001Z', now)).toBeNull());
});
