import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { type BatchSpec, keyspaceSize } from './batch-spec';
import { ByteCodeSet } from './code-set';
import { DomainError } from './errors';

/** A source of random bytes; the default is node:crypto's CSPRNG. Inject one for tests. */
export type RandomBytes = (size: number) => Uint8Array;

/** Uniform characters of a charset from bulk random bytes, by rejection sampling. */
class CharSource {
  private readonly buffer: Uint8Array;
  private length = 0;
  private pos = 0;
  private readonly limit: number;

  constructor(private readonly chars: Uint8Array, private readonly random: RandomBytes, chunk: number) {
    this.limit = 256 - (256 % chars.length);
    this.buffer = new Uint8Array(chunk);
  }

  private refill(): void {
    // copied into our own array so the hot loop sees one array type whatever the source returns
    const fresh = this.random(this.buffer.length);
    this.length = Math.min(fresh.length, this.buffer.length);
    this.buffer.set(fresh.length > this.length ? fresh.subarray(0, this.length) : fresh);
    this.pos = 0;
    if (this.length === 0) throw new DomainError('random_source_exhausted', 'the random source gave no bytes');
  }

  /** Writes a random charset character (ASCII) at each of `positions` (offset by `base`) in `out`. */
  fill(out: Uint8Array, base: number, positions: Int32Array): void {
    const { chars, limit, buffer } = this;
    const size = chars.length;
    let rejected = 0;
    for (let k = 0; k < positions.length; ) {
      if (this.pos >= this.length) this.refill();
      const b = buffer[this.pos++] as number;
      if (b < limit) {
        out[base + (positions[k] as number)] = chars[b % size] as number;
        k += 1;
      } else if ((rejected += 1) > 100_000) {
        throw new DomainError('random_source_exhausted', 'the random source gave no usable bytes');
      }
    }
  }
}

export interface GenerateOptions {
  /** Codes that must not be produced (e.g. those written before a crash, when resuming). */
  exclude?: Iterable<string>;
}

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** Where the random characters sit in a full code, and the code's literal bytes. */
function layout(spec: BatchSpec): { template: Uint8Array; positions: number[] } {
  const template = ascii(spec.prefix + spec.pattern + spec.suffix);
  const positions: number[] = [];
  [...spec.pattern].forEach((c, i) => {
    if (c === '#') positions.push(spec.prefix.length + i);
  });
  return { template, positions };
}

/** An excluded code's bytes, or null when it cannot come out of this spec (other shape or characters). */
function sameShape(code: string, spec: BatchSpec, template: Uint8Array, positions: number[]): Uint8Array | null {
  if (code.length !== template.length) return null;
  const random = new Set(positions);
  const fits = [...code].every((c, i) => (random.has(i) ? spec.charset.includes(c) : c.charCodeAt(0) === template[i]));
  return fits ? ascii(code) : null;
}

/**
 * Lazily yields chunks of distinct codes (none repeated across chunks, none in `exclude`)
 * until `total` have been produced. Random characters are drawn uniformly from the charset
 * (rejection sampling over bulk bytes from `randomBytes`, default node:crypto).
 */
export function* generateCodeChunks(
  spec: BatchSpec,
  total: number,
  chunkSize: number,
  randomBytes: RandomBytes = cryptoRandomBytes,
  options: GenerateOptions = {},
): Generator<string[], void, undefined> {
  if (!Number.isInteger(total) || total < 0 || !Number.isInteger(chunkSize) || chunkSize < 1) {
    throw new DomainError('invalid_count', 'total must be a non-negative integer and chunkSize positive', 'count');
  }
  const { template, positions } = layout(spec);
  const excluded: Uint8Array[] = [];
  for (const code of options.exclude ?? []) {
    const part = sameShape(code, spec, template, positions);
    if (part !== null) excluded.push(part);
  }
  if (BigInt(total + excluded.length) > keyspaceSize(spec)) {
    throw new DomainError('keyspace_too_small', `cannot draw ${total} more distinct codes from ${keyspaceSize(spec)}`, 'count');
  }
  const len = template.length;
  // the set holds whole codes (literals included), read straight from the chunk buffer
  const set = new ByteCodeSet(len, total + excluded.length);
  excluded.forEach((code) => set.add(code));
  const source = new CharSource(ascii(spec.charset), randomBytes, Math.min(1 << 20, total * spec.randomChars + 64));
  const at = Int32Array.from(positions);
  const decoder = new TextDecoder('latin1');
  const maxAttempts = total * 10 + 1000;
  let attempts = 0;
  for (let produced = 0; produced < total; ) {
    const want = Math.min(chunkSize, total - produced);
    const buf = new Uint8Array(want * len);
    buf.set(template, 0);
    for (let filled = len; filled < buf.length; filled *= 2) buf.copyWithin(filled, 0, filled);
    for (let n = 0; n < want; ) {
      if ((attempts += 1) > maxAttempts) {
        throw new DomainError('random_source_exhausted', 'too many duplicate codes drawn; the random space is nearly full');
      }
      source.fill(buf, n * len, at);
      if (set.add(buf, n * len)) n += 1;
    }
    const text = decoder.decode(buf);
    const chunk = new Array<string>(want);
    for (let i = 0; i < want; i += 1) chunk[i] = text.slice(i * len, (i + 1) * len);
    produced += want;
    yield chunk;
  }
}

/** `n` distinct codes for the spec (default: its count); 1,000,000 take well under a second. */
export function generateCodes(
  spec: BatchSpec,
  n: number = spec.count,
  randomBytes: RandomBytes = cryptoRandomBytes,
  options: GenerateOptions = {},
): string[] {
  const first = generateCodeChunks(spec, n, Math.max(n, 1), randomBytes, options).next();
  return first.done ? [] : first.value;
}
