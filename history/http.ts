import http from 'node:http';

export interface Reply {
  /** null: no answer within the timeout, or the connection failed */
  status: number | null;
  body?: any;
  error?: string;
}

/** A JSON client over a keep-alive agent, with a timeout after which it gives up on an answer. */
export class Client {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 128 });

  constructor(private readonly base: string, private readonly timeoutMs: number) {}

  request(method: string, path: string, opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Reply> {
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const headers: Record<string, string | number> = { ...opts.headers };
    if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
    if (payload !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = Buffer.byteLength(payload);
    }
    return new Promise((resolve) => {
      let settled = false;
      const done = (r: Reply) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(r);
      };
      const req = http.request(`${this.base}${path}`, { method, agent: this.agent, headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('error', (e) => done({ status: null, error: `answer cut: ${e.message}` }));
        res.on('end', () => {
          let body: unknown = text;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            // not JSON: kept as text
          }
          done({ status: res.statusCode ?? null, body });
        });
      });
      const timer = setTimeout(() => {
        done({ status: null, error: `no answer within ${this.timeoutMs} ms` });
        req.destroy();
      }, this.timeoutMs);
      req.on('error', (e) => done({ status: null, error: e.message }));
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
