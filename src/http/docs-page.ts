import path from 'node:path';
import express, { type Express } from 'express';

/**
 * `/docs`: Swagger UI (the swagger-ui-dist package's own files, no CDN) rendering /openapi.json,
 * with the bearer scheme's Authorize button and try-it. The package's sample initializer and
 * index page are not served: /docs is ours and /docs/init.js points the UI at /openapi.json.
 */
const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Couponflow API reference</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
</head><body><noscript><p>The interactive reference needs JavaScript; the contract itself is <a href="/openapi.json">/openapi.json</a>.</p></noscript><main id="swagger-ui"></main>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
<script src="/docs/init.js"></script>
</body></html>`;

const INIT = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  persistAuthorization: false,
  tryItOutEnabled: false,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  plugins: [SwaggerUIBundle.plugins.DownloadUrl],
  layout: 'StandaloneLayout'
});
`;

const ASSETS = ['swagger-ui.css', 'swagger-ui-bundle.js', 'swagger-ui-standalone-preset.js', 'favicon-32x32.png', 'favicon-16x16.png'];

export function mountDocs(app: Express): void {
  const dir = path.dirname(require.resolve('swagger-ui-dist/package.json'));
  app.get('/docs', (_req, res) => {
    res.type('html').send(PAGE);
  });
  app.get('/docs/init.js', (_req, res) => {
    res.type('application/javascript').send(INIT);
  });
  const files = express.static(dir, { index: false, maxAge: '1d', fallthrough: true });
  app.use('/docs/assets', (req, res, next) => (ASSETS.includes(req.path.slice(1)) ? files(req, res, next) : next()));
}
