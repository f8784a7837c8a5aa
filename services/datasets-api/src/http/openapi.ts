import { BusinessKindValues, BusinessStatusValues, DossierStatusValues } from '@hub/schemas';
import { ACCESS, ALL_SCOPES, DATASETS } from '../domain/scopes.js';

type Param = { name: string; in: 'path' | 'query'; required?: boolean; description: string; schema: Record<string, unknown> };

const q = (name: string, description: string, schema: Record<string, unknown> = { type: 'string' }): Param => ({ name, in: 'query', description, schema });
const p = (name: string, description: string, schema: Record<string, unknown> = { type: 'string' }): Param => ({ name, in: 'path', required: true, description, schema });

const ERR = { $ref: '#/components/responses/Error' };
const errors = { '400': ERR, '401': ERR, '403': ERR, '429': ERR, '503': ERR };

function op(summary: string, description: string, parameters: Param[], ok: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { get: { summary, description, parameters, responses: { '200': { description: 'OK', content: { 'application/json': { schema: ok } } }, ...errors, ...extra } } };
}

const page = (max: number): Param[] => [
  q('cursor', 'Opaque cursor from the previous page (`nextCursor`).'),
  q('limit', `Page size, 1–${max}.`, { type: 'integer', minimum: 1, maximum: max }),
];
const masterId = p('masterId', 'Provincial master id.');
const RECORD = { $ref: '#/components/schemas/Record' };
const PAGE = { $ref: '#/components/schemas/Page' };
const single = { '301': { description: 'The id was merged into another record: see `Location` and `mergedInto`.' }, '404': ERR, '410': ERR };

/** The OpenAPI 3.1 document served at /openapi.json (hand-written; kept next to the routers). */
export function openApiDocument(maxPage: number, tokenEndpoint = true): Record<string, unknown> {
  const scopeDoc = DATASETS.map((d) => `**${d}**: ${ACCESS[d].groups.map((g) => `\`${g.scope}\` (${g.fields.join(', ') || 'reserved'})`).join('; ')}`).join('\n\n');
  const paths: Record<string, unknown> = {
    '/citizens': op('Search citizens', 'At least one criterion. `name` and `dob` need `citizen.identity`; `commune` needs `citizen.address` (no filtering on a field you cannot see).', [q('name', 'Name, accent-insensitive; every word must match a word of the name.'), q('dob', 'YYYY, YYYY-MM or YYYY-MM-DD.'), q('commune', '5-digit commune code (old or current).'), ...page(maxPage)], PAGE),
    '/citizens/by-identifier/{identifier}': op('Citizen by personal number or legacy CMND', 'Needs `citizen.identity`. 409 while a merge is in flight and two records hold the number.', [p('identifier', '12-digit personal number or 9/12-digit CMND.')], RECORD, { '404': ERR, '409': ERR }),
    '/citizens/{masterId}': op('Citizen by master id', 'Any citizen scope; fields outside your scopes are omitted and listed in `withheldFields`.', [masterId], RECORD, single),
    '/citizens/{masterId}/businesses': op('Businesses this citizen represents', 'Needs a citizen scope and `business.representative`.', [masterId, ...page(maxPage)], PAGE, single),
    '/citizens/{masterId}/dossiers': op("Citizen's dossiers", 'Needs a citizen scope and `dossier.applicant`.', [masterId, ...page(maxPage)], PAGE, single),
    '/businesses': op('Search businesses', '`name`, `status`, `industry` need `business.registration`; `commune` needs `business.address`.', [q('name', 'Name, accent-insensitive.'), q('status', 'Status.', { type: 'string', enum: [...BusinessStatusValues] }), q('kind', 'Kind.', { type: 'string', enum: [...BusinessKindValues] }), q('commune', '5-digit commune code.'), q('industry', 'Industry (VSIC) code.'), ...page(maxPage)], PAGE),
    '/businesses/by-code/{enterpriseCode}': op('Business by enterprise/tax code', 'Needs `business.registration`. Branch codes as 0314409058-002; household businesses by the owner\'s 12-digit number.', [p('enterpriseCode', 'Enterprise code.')], RECORD, { '404': ERR, '409': ERR }),
    '/businesses/{masterId}': op('Business by master id', 'Any business scope.', [masterId], RECORD, single),
    '/businesses/{masterId}/dossiers': op("Business's dossiers", 'Needs a business scope and `dossier.applicant`.', [masterId, ...page(maxPage)], PAGE, single),
    '/dossiers': op('List dossiers', '`applicant` needs `dossier.applicant`; the other filters need `dossier.processing`. Period = received time, [receivedFrom, receivedTo).', [q('applicant', 'Applicant master id.'), q('agency', 'Receiving agency code.'), q('procedure', 'Procedure code.'), q('status', 'Status.', { type: 'string', enum: [...DossierStatusValues] }), q('receivedFrom', 'ISO date or date-time.'), q('receivedTo', 'ISO date or date-time.'), ...page(maxPage)], PAGE),
    '/dossiers/by-code/{dossierCode}': op('Dossier by code', 'Any dossier scope.', [p('dossierCode', 'Dossier code, e.g. 000.00.01.H60-250715-0001.')], RECORD, { '404': ERR, '409': ERR }),
    '/dossiers/{masterId}': op('Dossier by master id', 'Any dossier scope.', [masterId], RECORD, single),
    '/feeds/{dataset}': op('Change feed', 'Every change applied to the dataset, in order. Keep `nextCursor` and pass it back to resume: no change is skipped or repeated. `change` is CREATED, UPDATED, MERGED, SPLIT, DELETED or UNKNOWN; a record merged away appears as DELETED with `mergedInto`.', [p('dataset', 'citizen, business or dossier', { type: 'string', enum: [...DATASETS] }), ...page(maxPage)], { $ref: '#/components/schemas/Feed' }),
    '/access-log': op('Access log (steward)', 'Who read which personal data, when, for what purpose. Needs `steward`.', [q('appId', 'Application id.'), q('recordId', 'Master id read.'), q('from', 'ISO date-time (inclusive).'), q('to', 'ISO date-time (exclusive).'), ...page(maxPage)], PAGE),
  };
  for (const d of ['citizens', 'businesses', 'dossiers']) {
    for (const what of ['lineage', 'history']) {
      paths[`/${d}/{masterId}/${what}`] = op(`${what} of a ${d.slice(0, -1)} record (steward)`, `Needs \`steward\`. Proxied to the consolidation service (which owns ${what}); 503 when it is not configured or unreachable.`, [masterId], { type: 'object' }, { '404': ERR });
    }
  }
  const pub = (summary: string, type = 'application/json') => ({ get: { summary, security: [], responses: { '200': { description: 'OK', content: { [type]: {} } } } } });
  if (tokenEndpoint) {
    const oauthError = { description: 'RFC 6749 §5.2 error', content: { 'application/json': { schema: { $ref: '#/components/schemas/OAuthError' } } } };
    paths['/oauth/token'] = {
      post: {
        summary: 'OAuth2 access token (client credentials)',
        description:
          'RFC 6749 §4.4. Authenticate the client with HTTP Basic (`client_id:client_secret`, form-urlencoded then base64) or with `client_id` and `client_secret` in the body (not both). `scope` (space-separated) must be within the scopes registered for the application; omitted: all of them. The token is a short-lived signed JWT (keys at `/.well-known/jwks.json`); send it as `Authorization: Bearer <token>`. Errors: `invalid_request`, `invalid_client` (401), `invalid_scope`, `unsupported_grant_type`.',
        security: [{ clientBasic: [] }, {}],
        requestBody: {
          required: true,
          content: {
            'application/x-www-form-urlencoded': {
              schema: {
                type: 'object',
                required: ['grant_type'],
                properties: { grant_type: { type: 'string', enum: ['client_credentials'] }, scope: { type: 'string' }, client_id: { type: 'string' }, client_secret: { type: 'string' } },
              },
            },
          },
        },
        responses: {
          '200': {
            description: 'Access token (`Cache-Control: no-store`).',
            content: {
              'application/json': {
                schema: { type: 'object', required: ['access_token', 'token_type', 'expires_in', 'scope'], properties: { access_token: { type: 'string' }, token_type: { type: 'string', enum: ['Bearer'] }, expires_in: { type: 'integer' }, scope: { type: 'string' } } },
              },
            },
          },
          '400': oauthError,
          '401': oauthError,
          '429': ERR,
        },
      },
    };
    paths['/.well-known/jwks.json'] = pub('Public keys of the local token issuer (JWKS)');
  }
  Object.assign(paths, { '/catalogue': pub('Data catalogue (JSON, or HTML for browsers)'), '/healthz': pub('Liveness'), '/readyz': pub('Readiness'), '/metrics': pub('Prometheus metrics', 'text/plain') });
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tuyên Quang shared datasets API',
      version: '1.0.0',
      description: `Read access to the provincial master datasets (citizens, businesses, dossiers) for registered applications.\n\nEvery response that contains personal data is written to an access log (Decree 13/2023/NĐ-CP). Scopes:\n\n${scopeDoc}\n\n**steward**: access log, lineage, history.\n\nErrors: \`{"error":{"code","message","requestId"}}\`. Pagination: pass \`nextCursor\` back as \`cursor\`.`,
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }, { apiKey: [] }, { oauth2: [] }],
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: `An API key (\`dsk_…\`) or an OAuth2 access token (JWT) as a bearer token. A JWT must be signed by an accepted key, carry the configured issuer and audience, be within exp/nbf, and name a registered client (\`azp\`, \`client_id\` or \`sub\`); its \`scope\` grants at most the application's registered scopes. Scopes: ${ALL_SCOPES.join(', ')}`,
        },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
        oauth2: {
          type: 'oauth2',
          description: 'OAuth2 client credentials: a registered client gets a short-lived JWT from the token endpoint (or from the configured external IdP) and sends it as a bearer token.',
          flows: { clientCredentials: { tokenUrl: '/oauth/token', scopes: Object.fromEntries(ALL_SCOPES.map((s) => [s, `field group ${s}`])) } },
        },
        ...(tokenEndpoint ? { clientBasic: { type: 'http', scheme: 'basic', description: 'Token endpoint only: client_id and client_secret (RFC 6749 §2.3.1).' } } : {}),
      },
      responses: { Error: { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } } },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: { error: { type: 'object', required: ['code', 'message', 'requestId'], properties: { code: { type: 'string' }, message: { type: 'string' }, requestId: { type: 'string' }, details: { type: 'array', items: { type: 'object' } } } } },
        },
        Record: { type: 'object', description: 'A golden record: base fields plus the field groups your scopes unlock (see /catalogue).', properties: { masterId: { type: 'string' }, version: { type: 'integer' }, change: { type: 'string' }, withheldFields: { type: 'array', items: { type: 'string' } } }, additionalProperties: true },
        OAuthError: { type: 'object', required: ['error'], properties: { error: { type: 'string', enum: ['invalid_request', 'invalid_client', 'invalid_scope', 'unsupported_grant_type'] }, error_description: { type: 'string' } } },
        Page: { type: 'object', properties: { items: { type: 'array', items: { $ref: '#/components/schemas/Record' } }, nextCursor: { type: ['string', 'null'] } } },
        Feed: {
          type: 'object',
          properties: {
            items: { type: 'array', items: { type: 'object', properties: { masterId: { type: 'string' }, version: { type: 'integer' }, change: { type: 'string' }, mergedInto: { type: ['string', 'null'] }, occurredAt: { type: ['string', 'null'] }, appliedAt: { type: 'string' } } } },
            nextCursor: { type: ['string', 'null'] },
            hasMore: { type: 'boolean' },
          },
        },
      },
    },
  };
}
