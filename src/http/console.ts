import fs from 'node:fs';
import path from 'node:path';
import express, { type Express } from 'express';

/** Where `npm run build` writes the console (vite, console/vite.config.ts), from src/http or dist/src/http. */
export function consoleDir(): string | null {
  const candidates = [path.resolve(__dirname, '../../../dist/console'), path.resolve(__dirname, '../../dist/console')];
  return candidates.find((d) => fs.existsSync(path.join(d, 'index.html'))) ?? null;
}

/**
 * The admin console at /admin: static files, and index.html for every other /admin path (the
 * app routes in the browser). Mounted after Bull Board, so /admin/queues stays Bull Board's. The
 * console needs no credentials of its own: it signs in with an account API key against /v1.
 */
export function mountConsole(app: Express): void {
  const dir = consoleDir();
  if (!dir) {
    app.use('/admin', (_req, res) => {
      res.status(503).type('text').send('The admin console is not built: run npm run build.');
    });
    return;
  }
  const index = fs.readFileSync(path.join(dir, 'index.html'), 'utf8');
  app.use('/admin/assets', express.static(path.join(dir, 'assets'), { index: false, immutable: true, maxAge: '1y', fallthrough: false }));
  app.get(['/admin', '/admin/{*rest}'], (req, res, next) => {
    if (req.path === '/admin/queues' || req.path.startsWith('/admin/queues/')) return next();
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('Content-Security-Policy', "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'");
    res.type('html').send(index);
  });
}
