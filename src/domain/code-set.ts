/**
 * An exact set of fixed-width byte strings (generated codes), much faster than a Set<string>
 * at a million entries: open addressing over one Int32Array holding (entry, hash) pairs,
 * entries stored back to back in an arena and compared byte by byte only when hashes agree.
 * `capacity` is the most entries it will hold.
 */
export class ByteCodeSet {
  private readonly arena: Uint8Array;
  private readonly table: Int32Array;
  private readonly mask: number;
  private count = 0;

  constructor(private readonly width: number, capacity: number) {
    this.arena = new Uint8Array(Math.max(1, width * capacity));
    let slots = 16;
    while (slots < capacity * 2) slots *= 2;
    this.table = new Int32Array(slots * 2);
    this.mask = slots - 1;
  }

  get size(): number {
    return this.count;
  }

  private same(entry: number, bytes: Uint8Array, offset: number): boolean {
    const base = (entry - 1) * this.width;
    for (let k = 0; k < this.width; k += 1) if (this.arena[base + k] !== bytes[offset + k]) return false;
    return true;
  }

  /** Adds `bytes[offset..offset+width)`; false (and nothing added) when it is already present. */
  add(bytes: Uint8Array, offset = 0): boolean {
    const { width, arena, table, mask } = this;
    // polynomial hash kept exact in doubles (no Math.imul: cross-realm builtins are slow under Jest)
    let h = 0;
    for (let k = 0; k < width; k += 1) h = (h * 1000003 + (bytes[offset + k] as number)) | 0;
    h ^= h >>> 13;
    let slot = h & mask;
    for (;;) {
      const entry = table[slot * 2] as number;
      if (entry === 0) break;
      if (table[slot * 2 + 1] === h && this.same(entry, bytes, offset)) return false;
      slot = (slot + 1) & mask;
    }
    const at = this.count * width;
    for (let k = 0; k < width; k += 1) arena[at + k] = bytes[offset + k] as number;
    this.count += 1;
    table[slot * 2] = this.count;
    table[slot * 2 + 1] = h;
    return true;
  }
}
