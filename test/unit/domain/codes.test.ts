import fc from 'fast-check';
import {
  type BatchSpec, ByteCodeSet, checkKeyspace, DEFAULT_CHARSET, generateCodeChunks, generateCodes, isValidCode, keyspaceSize,
  normalizeCode, planBatch, type RandomBytes,
} from '../../../src/domain';

const spec = (req: Parameters<typeof planBatch>[0]): BatchSpec => {
  const r = planBatch(req);
  if (!r.ok) throw r.error;
  return r.value;
};

/** Deterministic byte source (xorshift32) for reproducible tests. */
const seeded = (seed: number): RandomBytes => {
  let x = seed >>> 0 || 1;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 1) {
      x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
      out[i] = x & 0xff;
    }
    return out;
  };
};

describe('code form', () => {
  it.each([
    ['  earlybird ', 'EARLYBIRD'], ['Partner50', 'PARTNER50'], ['refer-ann_2', 'REFER-ANN_2'], ['VIPACCESS2026', 'VIPACCESS2026'],
  ])('normalizeCode(%p) = %p', (input, want) => {
    expect(normalizeCode(input)).toBe(want);
    expect(isValidCode(input)).toBe(true);
  });

  it.each([
    ['AB', false], ['ABC', true], ['A'.repeat(64), true], ['A'.repeat(65), false], ['  ab  ', false], [' abc ', true],
    ['HAS SPACE', false], ['BAD!', false], ['CAFÉ', false], ['ﬀOO', false], ['', false], ['F1RST20XyZ', true], ['50OFFMM9280', true],
  ])('isValidCode(%p) = %p', (input, want) => {
    expect(isValidCode(input)).toBe(want);
  });
});

describe('planBatch', () => {
  it('defaults to 12 random characters from the look-alike-free charset', () => {
    expect(DEFAULT_CHARSET).toBe('ABCDEFGHJKMNPQRSTUVWXYZ23456789');
    expect(DEFAULT_CHARSET).not.toMatch(/[01OIL]/);
    expect(planBatch({ count: 10 })).toEqual({
      ok: true,
      value: { count: 10, prefix: '', suffix: '', pattern: '############', charset: DEFAULT_CHARSET, randomChars: 12, codeLength: 12 },
    });
  });

  it('upper-cases prefix, suffix, pattern and charset', () => {
    expect(spec({ count: 1, pattern: 'sum-####-x', prefix: 'p_', suffix: '-z', charset: 'abc' })).toEqual({
      count: 1, prefix: 'P_', suffix: '-Z', pattern: 'SUM-####-X', charset: 'ABC', randomChars: 4, codeLength: 14,
    });
    expect(spec({ count: 1, length: 8, prefix: 'vip' })).toMatchObject({ pattern: '########', codeLength: 11 });
  });

  it.each<[string, Parameters<typeof planBatch>[0], string, string]>([
    ['length and pattern together', { count: 1, length: 8, pattern: '####' }, 'length_and_pattern', 'pattern'],
    ['count 0', { count: 0 }, 'invalid_count', 'count'],
    ['count above a million', { count: 1_000_001 }, 'invalid_count', 'count'],
    ['fractional count', { count: 1.5 }, 'invalid_count', 'count'],
    ['length 0', { count: 1, length: 0 }, 'invalid_length', 'length'],
    ['length 65', { count: 1, length: 65 }, 'invalid_length', 'length'],
    ['pattern without #', { count: 1, pattern: 'ABCD' }, 'invalid_pattern', 'pattern'],
    ['pattern with a space', { count: 1, pattern: '## ##' }, 'invalid_pattern', 'pattern'],
    ['prefix with a space', { count: 1, prefix: 'A B' }, 'invalid_prefix', 'prefix'],
    ['suffix with punctuation', { count: 1, suffix: '!' }, 'invalid_suffix', 'suffix'],
    ['charset with duplicates', { count: 1, charset: 'ABCA' }, 'invalid_charset', 'charset'],
    ['charset duplicates after upper-casing', { count: 1, charset: 'aA' }, 'invalid_charset', 'charset'],
    ['charset of one', { count: 1, charset: 'A' }, 'invalid_charset', 'charset'],
    ['charset with #', { count: 1, charset: 'AB#' }, 'invalid_charset', 'charset'],
    ['codes too short', { count: 1, length: 2 }, 'invalid_code_length', 'length'],
    ['codes too long', { count: 1, length: 60, prefix: 'PREFIX' }, 'invalid_code_length', 'length'],
  ])('refuses %s', (_name, req, code, field) => {
    const r = planBatch(req);
    expect(r.ok).toBe(false);
    if (!r.ok) expect([r.error.code, r.error.field]).toEqual([code, field]);
  });
});

describe('keyspace', () => {
  it('is charset size ^ random characters, as a bigint', () => {
    expect(keyspaceSize(spec({ count: 1 }))).toBe(31n ** 12n);
    expect(keyspaceSize(spec({ count: 1, pattern: 'X-##', charset: '0123456789' }))).toBe(100n);
    expect(keyspaceSize(spec({ count: 1, length: 64, charset: 'AB' }))).toBe(2n ** 64n);
  });

  it('refuses when the space is under 10 × the codes it must hold', () => {
    const s = spec({ count: 10, pattern: 'A##', charset: '0123456789' }); // 100 codes
    expect(checkKeyspace(s)).toEqual({ ok: true, value: 100n });
    const r = checkKeyspace(s, 11); // 10 in the batch + 1 existing with the same shape
    expect(r.ok).toBe(false);
    if (!r.ok) expect([r.error.code, r.error.field]).toEqual(['keyspace_too_small', 'count']);
    expect(checkKeyspace(spec({ count: 1_000_000 }), 5_000_000n).ok).toBe(true);
    expect(checkKeyspace(spec({ count: 1_000_000, length: 4 })).ok).toBe(false); // 31^4 = 923,521
  });
});

describe('generateCodes', () => {
  it('is deterministic for a given random source and follows the layout', () => {
    const s = spec({ count: 5, pattern: 'SUM-####', prefix: 'X', suffix: '9' });
    const a = generateCodes(s, 5, seeded(42));
    expect(a).toEqual(generateCodes(s, 5, seeded(42)));
    expect(a).toHaveLength(5);
    a.forEach((c) => {
      expect(c).toMatch(/^XSUM-[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{4}9$/);
      expect(isValidCode(c)).toBe(true);
    });
  });

  it('uses the default cryptographic source when none is given', () => {
    const codes = generateCodes(spec({ count: 3 }));
    expect(codes).toHaveLength(3);
    codes.forEach((c) => expect(c).toMatch(/^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{12}$/));
  });

  it('draws every code of a tiny space exactly once, skipping excluded ones', () => {
    const s = spec({ count: 4, pattern: 'A##', charset: 'XY' });
    expect(generateCodes(s, 4, seeded(7)).sort()).toEqual(['AXX', 'AXY', 'AYX', 'AYY']);
    expect(generateCodes(s, 2, seeded(7), { exclude: ['AXX', 'AYY', 'BXX', 'AXZ', 'TOOLONG'] }).sort()).toEqual(['AXY', 'AYX']);
    expect(() => generateCodes(s, 3, seeded(7), { exclude: ['AXX', 'AYY'] })).toThrow(expect.objectContaining({ code: 'keyspace_too_small' }));
    expect(() => generateCodes(s, 5, seeded(7))).toThrow(expect.objectContaining({ code: 'keyspace_too_small' }));
    expect(generateCodes(s, 0, seeded(7))).toEqual([]);
  });

  it('is uniform: rejection sampling drops the biased top bytes', () => {
    // charset of 3: bytes 255 are rejected (255 = 3 × 85); 0,1,2 → A,B,C
    const bytes = [255, 0, 255, 255, 1, 2];
    let i = 0;
    const source: RandomBytes = (n) => Uint8Array.from({ length: n }, () => bytes[i++ % bytes.length] as number);
    expect(generateCodes(spec({ count: 3, pattern: 'ZZ#', charset: 'ABC' }), 3, source)).toEqual(['ZZA', 'ZZB', 'ZZC']);
    const counts = new Map<string, number>();
    const s = spec({ count: 1, length: 3, charset: DEFAULT_CHARSET });
    for (const c of generateCodes({ ...s, count: 20_000 }, 20_000, seeded(3)).join('')) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(31);
    for (const n of counts.values()) expect(Math.abs(n - 60_000 / 31)).toBeLessThan(250); // expected 1935 ± ~44 sd
  });

  it('fails loudly on a broken random source instead of looping', () => {
    const s = spec({ count: 2, length: 4 });
    expect(() => generateCodes(s, 2, () => new Uint8Array(0))).toThrow(expect.objectContaining({ code: 'random_source_exhausted' }));
    expect(() => generateCodes(s, 2, (n) => new Uint8Array(n).fill(255))).toThrow(expect.objectContaining({ code: 'random_source_exhausted' }));
    expect(() => generateCodes(s, 2, (n) => new Uint8Array(n))).toThrow(expect.objectContaining({ code: 'random_source_exhausted' }));
  });

  it('streams chunks without duplicates across them', () => {
    const s = spec({ count: 2500, length: 3, charset: 'ABCDEFGHIJKLMNOP' }); // 4096 codes
    const chunks = [...generateCodeChunks(s, 2500, 1000, seeded(9))];
    expect(chunks.map((c) => c.length)).toEqual([1000, 1000, 500]);
    expect(new Set(chunks.flat()).size).toBe(2500);
    expect(() => [...generateCodeChunks(s, 10, 0)]).toThrow(expect.objectContaining({ code: 'invalid_count' }));
    expect(() => [...generateCodeChunks(s, -1, 10)]).toThrow(expect.objectContaining({ code: 'invalid_count' }));
  });

  it('generates a batch with no duplicates and only charset characters (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.constantFrom(...'ABCDEFGHJKMNPQRSTUVWXYZ23456789_-'), { minLength: 2, maxLength: 10 }),
        fc.integer({ min: 3, max: 6 }),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        (chars, length, count, seed) => {
          const s = spec({ count, length, charset: chars.join(''), prefix: 'PX' });
          fc.pre(keyspaceSize(s) >= BigInt(count) * 2n);
          const codes = generateCodes(s, count, seeded(seed));
          const allowed = new Set(chars);
          const bad = codes.filter((c) => c.length !== length + 2 || !c.startsWith('PX') || ![...c.slice(2)].every((ch) => allowed.has(ch)));
          expect([codes.length, new Set(codes).size, bad]).toEqual([count, count, []]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('produces 1,000,000 distinct codes of the charset', () => {
    const s = spec({ count: 1_000_000 });
    const codes = generateCodes(s);
    expect(codes).toHaveLength(1_000_000);
    const bytes = new TextEncoder().encode(codes.join(''));
    expect(bytes.length).toBe(12_000_000);
    const allowed = new Uint8Array(256);
    for (const c of DEFAULT_CHARSET) allowed[c.charCodeAt(0)] = 1;
    let outside = 0;
    for (let i = 0; i < bytes.length; i += 1) outside += 1 - (allowed[bytes[i] as number] as number);
    expect(outside).toBe(0);
    // Distinct, checked without the generator's own set: sorted, no two neighbours are equal.
    const sorted = codes.slice().sort();
    let repeats = 0;
    for (let i = 1; i < sorted.length; i += 1) if (sorted[i] === sorted[i - 1]) repeats += 1;
    expect(repeats).toBe(0);
  });
});

describe('ByteCodeSet', () => {
  it('holds exact byte strings', () => {
    const set = new ByteCodeSet(2, 4);
    const b = (s: string) => new TextEncoder().encode(s);
    expect(set.add(b('AB'))).toBe(true);
    expect(set.add(b('AB'))).toBe(false);
    expect(set.add(b('BA'))).toBe(true);
    expect(set.add(b('ZZ'))).toBe(true);
    expect(set.add(b('BA'))).toBe(false);
    expect(set.size).toBe(3);
  });
});
