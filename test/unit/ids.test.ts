import { timeOrderedUuid } from '../../src/ids';

describe('timeOrderedUuid', () => {
  test('a version 7 UUID whose first 48 bits are the given milliseconds', () => {
    const id = timeOrderedUuid(Date.UTC(2026, 11, 6, 10, 0, 0, 123));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(Date.UTC(2026, 11, 6, 10, 0, 0, 123));
  });

  test('ids of later milliseconds sort after earlier ones; ids of one millisecond differ', () => {
    const t0 = Date.UTC(2026, 0, 1);
    const ids = [3, 1, 2, 0].map((d) => timeOrderedUuid(t0 + d));
    expect([...ids].sort()).toEqual([ids[3], ids[1], ids[2], ids[0]]);
    const same = new Set(Array.from({ length: 1000 }, () => timeOrderedUuid(t0)));
    expect(same.size).toBe(1000);
  });
});
