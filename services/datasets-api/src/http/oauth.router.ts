import express, { Router, type Request, type Response } from 'express';
import { verifySecret } from '../domain/api-keys.js';
import { isLocalClientId, parseScopeClaim, type ClientStore, type TokenIssuer } from '../domain/oauth.js';

/**
 * `POST /oauth/token` (RFC 6749 §4.4, client credentials) and `GET /.well-known/jwks.json`.
 * Client authentication by HTTP Basic (§2.3.1, form-urlencoded id and secret) or by
 * `client_id`/`client_secret` in the body; errors are RFC 6749 §5.2 bodies, not the API's own format.
 */
export function oauthRouter(store: ClientStore, issuer: TokenIssuer): Router {
  const router = Router();

  router.get('/.well-known/jwks.json', async (_req, res) => {
    res.set('cache-control', 'public, max-age=300').json(await issuer.jwks());
  });

  const fail = (res: Response, status: number, error: string, description: string, basic = false): void => {
    if (basic) res.set('www-authenticate', 'Basic realm="datasets-api", charset="UTF-8"');
    res
      .status(status)
      .set({ 'cache-control': 'no-store', pragma: 'no-cache' })
      .json({ error, error_description: description });
  };

  router.post(
    '/oauth/token',
    express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 20 }),
    async (req: Request, res: Response) => {
      if (!req.is('application/x-www-form-urlencoded')) {
        return fail(
          res,
          400,
          'invalid_request',
          'the body must be application/x-www-form-urlencoded (RFC 6749 §4.4.2)',
        );
      }
      const body = (req.body ?? {}) as Record<string, unknown>;
      for (const [name, value] of Object.entries(body)) {
        if (typeof value !== 'string')
          return fail(res, 400, 'invalid_request', `parameter ${name} is repeated or malformed`);
      }
      const form = body as Record<string, string | undefined>;
      const grantType = form.grant_type;
      if (grantType === undefined || grantType === '')
        return fail(res, 400, 'invalid_request', 'grant_type is required');

      // Client authentication: exactly one method (§2.3).
      const authorization = req.get('authorization');
      let clientId: string | undefined;
      let secret: string | undefined;
      const usedBasic = authorization !== undefined;
      if (usedBasic) {
        if (form.client_secret !== undefined)
          return fail(
            res,
            400,
            'invalid_request',
            'use one client authentication method: HTTP Basic or client_secret in the body, not both',
          );
        const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(authorization);
        const decoded = m?.[1] ? Buffer.from(m[1], 'base64').toString('utf8') : '';
        const colon = decoded.indexOf(':');
        if (colon < 0)
          return fail(res, 401, 'invalid_client', 'malformed HTTP Basic client credentials', true);
        try {
          // §2.3.1: id and secret are form-urlencoded before Basic encoding.
          clientId = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
          secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
        } catch {
          return fail(res, 401, 'invalid_client', 'malformed HTTP Basic client credentials', true);
        }
        if (form.client_id !== undefined && form.client_id !== clientId)
          return fail(
            res,
            400,
            'invalid_request',
            'client_id in the body differs from the authenticated client',
          );
      } else {
        clientId = form.client_id;
        secret = form.client_secret;
      }
      if (clientId === undefined || clientId === '' || secret === undefined || secret === '') {
        return fail(
          res,
          401,
          'invalid_client',
          'client authentication required: HTTP Basic, or client_id and client_secret in the body',
          usedBasic,
        );
      }
      const client = isLocalClientId(clientId) ? await store.findActiveClient(clientId) : undefined;
      if (!client || client.secretHash === null || !(await verifySecret(secret, client.secretHash))) {
        return fail(
          res,
          401,
          'invalid_client',
          'unknown client, wrong secret, or revoked client/application',
          usedBasic,
        );
      }
      if (grantType !== 'client_credentials')
        return fail(res, 400, 'unsupported_grant_type', 'only grant_type=client_credentials is supported');

      const registered = new Set(client.scopes);
      const requested = form.scope === undefined ? undefined : parseScopeClaim(form.scope);
      if (requested !== undefined && requested.length === 0)
        return fail(res, 400, 'invalid_scope', 'scope is empty');
      const outside = (requested ?? []).filter((s) => !registered.has(s));
      if (outside.length > 0)
        return fail(
          res,
          400,
          'invalid_scope',
          `scope not registered for this application: ${outside.join(' ')}`,
        );
      // No scope requested: the application's registered scopes (RFC 6749 §3.3 default).
      const granted = requested ?? [...client.scopes];
      const token = await issuer.issue(client.clientId, granted);
      res.set({ 'cache-control': 'no-store', pragma: 'no-cache' }).json({
        access_token: token.accessToken,
        token_type: 'Bearer',
        expires_in: token.expiresIn,
        scope: granted.join(' '),
      });
    },
  );
  return router;
}
