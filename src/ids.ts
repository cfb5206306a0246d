import { randomBytes } from 'node:crypto';

/**
 * A time-ordered UUID (version 7, RFC 9562): the first 48 bits are the Unix time in
 * milliseconds, the rest random (74 bits). Ids made one after the other sort together, so a
 * table's primary key index takes new entries on its last pages rather than on random ones: after
 * each checkpoint PostgreSQL writes a whole page to its WAL the first time a page changes, and with
 * random (version 4) ids nearly every insert into a large table touched a page not yet changed since
 * the checkpoint. The time in the id says no more than the record's own `createdAt`.
 */
export function timeOrderedUuid(ms: number = Date.now()): string {
  const b = randomBytes(16);
  b.writeUIntBE(ms, 0, 6);
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a text is a UUID (any version): ids that are not name nothing, so they are answered without a query. */
export const isUuid = (s: string): boolean => UUID.test(s);
