import { AppError, badRequest } from '../errors';
import { unstorableText } from '../contracts/storable-text';

export interface CsvReadLimits {
  /** Longest line accepted, in characters. */
  maxLineLength: number;
  /** Largest body accepted, in bytes (413 past it). */
  maxBytes: number;
}

/**
 * The physical lines of a stream, numbered from 1, without their line ending (LF or CRLF) and
 * without a UTF-8 byte order mark. Reads chunk by chunk; never holds more than one line plus a chunk.
 * Bytes that are not UTF-8 and text PostgreSQL cannot store (NUL) are 400 naming the line.
 */
export async function* readLines(stream: AsyncIterable<Buffer | string>, limits: CsvReadLimits): AsyncGenerator<{ line: number; text: string }> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const decode = (chunk?: Buffer, last = false): string => {
    try {
      return last ? decoder.decode() : decoder.decode(chunk, { stream: true });
    } catch {
      throw badRequest('body: is not valid UTF-8 text', 'body');
    }
  };
  let buf = '';
  let bytes = 0;
  let line = 0;
  const out = (raw: string) => {
    line += 1;
    let text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const unstorable = unstorableText(text);
    if (unstorable) throw badRequest(`body: line ${line} ${unstorable}`, 'body');
    return { line, text };
  };
  for await (const chunk of stream) {
    bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    if (bytes > limits.maxBytes) throw new AppError('payload_too_large', `body: the file is larger than ${limits.maxBytes} bytes`, 'body');
    buf += typeof chunk === 'string' ? chunk : decode(chunk);
    let start = 0;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n', start)) {
      yield out(buf.slice(start, nl));
      start = nl + 1;
    }
    buf = buf.slice(start);
    if (buf.length > limits.maxLineLength) throw badRequest(`body: line ${line + 1} is longer than ${limits.maxLineLength} characters`, 'body');
  }
  buf += decode(undefined, true);
  if (buf.length > 0) yield out(buf);
}

/**
 * One CSV record on one line (RFC 4180 quoting: a field in double quotes may hold commas and
 * doubled quotes "" for a quote). A quoted field never spans lines here.
 */
export function parseCsvLine(text: string): { fields: string[] } | { error: string } {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (text[i] === '"') {
      let value = '';
      i += 1;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) return { error: 'unterminated quoted field' };
        value += text.slice(i, q);
        if (text[q + 1] === '"') {
          value += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      fields.push(value);
      if (i === text.length) return { fields };
      if (text[i] !== ',') return { error: 'unexpected character after a quoted field' };
      i += 1;
    } else {
      const comma = text.indexOf(',', i);
      const raw = comma < 0 ? text.slice(i) : text.slice(i, comma);
      if (raw.includes('"')) return { error: 'a quote inside an unquoted field' };
      fields.push(raw);
      if (comma < 0) return { fields };
      i = comma + 1;
    }
  }
}
