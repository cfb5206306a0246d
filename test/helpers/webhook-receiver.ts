import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Hold the answer until this promise settles. */
  hold?: Promise<void>;
}

/** A webhook receiver on 127.0.0.1: answers each path with a script of answers (the last repeats), records every request. */
export interface Receiver {
  url: string;
  received: Received[];
  on(path: string, answers: Answer[]): void;
  at(path: string): Received[];
  /** Resolves once `path` has received `n` requests. */
  waitFor(path: string, n: number, ms?: number): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const scripts = new Map<string, Answer[]>();
  const counts = new Map<string, number>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', async () => {
      const path = req.url ?? '/';
      received.push({ path, headers: req.headers, body });
      const n = counts.get(path) ?? 0;
      counts.set(path, n + 1);
      const script = scripts.get(path) ?? [{ status: 200 }];
      const a = script[Math.min(n, script.length - 1)];
      if (a.hold) await a.hold.catch(() => undefined);
      if (res.destroyed) return;
      res.writeHead(a.status, a.headers ?? {});
      res.end(a.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    on: (path, answers) => scripts.set(path, answers),
    at: (path) => received.filter((r) => r.path === path),
    async waitFor(path, n, ms = 20_000) {
      const end = Date.now() + ms;
      while (received.filter((r) => r.path === path).length < n) {
        if (Date.now() > end) throw new Error(`${path}: ${received.filter((r) => r.path === path).length} of ${n} requests arrived`);
        await new Promise((r) => setTimeout(r, 25));
      }
      return received.filter((r) => r.path === path);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Polls `read` until `done` holds for its value (or fails after `ms`). */
export async function eventually<T>(read: () => Promise<T>, done: (v: T) => boolean, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  let last: T;
  for (;;) {
    last = await read();
    if (done(last)) return last;
    if (Date.now() > end) throw new Error(`condition not reached; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
