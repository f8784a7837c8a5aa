import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import express, { Router } from 'express';

/**
 * GET /docs: the API reference rendered by Swagger UI from the `swagger-ui-dist` package, served
 * from this process (no CDN; works offline and under a strict Content-Security-Policy: the page
 * loads only same-origin scripts, the initialiser included).
 */
export function docsRouter(): Router {
  const router = Router();
  const assets = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Datasets API reference</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div><script src="/docs/assets/swagger-ui-bundle.js"></script><script src="/docs/init.js"></script></body></html>`;
  router.get('/docs', (_req, res) => {
    res.type('html').send(page);
  });
  router.get('/docs/init.js', (_req, res) => {
    res.type('application/javascript').send(`window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui', deepLinking: true });`);
  });
  const files = new Set(['swagger-ui.css', 'swagger-ui-bundle.js']);
  router.use('/docs/assets', (req, res, next) => (files.has(req.path.slice(1)) ? next() : res.status(404).end()));
  router.use('/docs/assets', express.static(join(assets), { index: false, maxAge: '1d' }));
  return router;
}
