import { targetFields, type Entity, type TargetField } from '@hub/connector-runtime';
import { ENTITY_PATHS } from './config.js';

type JsonSchema = Record<string, unknown>;

function schemaOf(f: TargetField): JsonSchema {
  const doc = f.doc ? { description: f.doc } : {};
  switch (f.kind) {
    case 'string':
      return { type: 'string', ...doc };
    case 'int':
      return { type: 'integer', ...doc };
    case 'boolean':
      return { type: 'boolean', ...doc };
    case 'enum':
      return { type: 'string', enum: f.symbols, ...doc };
    case 'timestamp':
      return {
        type: 'string',
        format: 'date-time',
        description: `${f.doc ?? ''} ISO 8601; without an offset, Vietnamese local time (UTC+7).`.trim(),
      };
    case 'day':
      return { type: 'string', format: 'date', ...doc };
    case 'precisionDate':
      return {
        type: 'string',
        description: 'dd/mm/yyyy, yyyy-mm-dd, mm/yyyy or yyyy: the precision is kept.',
        examples: ['05/03/1985', '1985'],
      };
    case 'address':
      return {
        oneOf: [
          { type: 'string', description: 'Free text; parsed into unit codes (pre- and post-1/7/2025).' },
          {
            type: 'object',
            properties: {
              provinceCode: { type: 'string' },
              districtCode: { type: 'string' },
              communeCode: { type: 'string' },
              detail: { type: 'string' },
              text: { type: 'string' },
            },
          },
        ],
      };
    case 'stringList':
      return { type: 'array', items: { type: 'string' }, ...doc };
    case 'legacyIds':
      return { type: 'string', description: 'A 9- or 12-digit CMND number.' };
  }
}

function recordSchema(entity: Entity): JsonSchema {
  const properties: Record<string, JsonSchema> = {
    recordId: { type: 'string', description: 'The record’s primary key in your system.' },
    updatedAt: {
      type: 'string',
      format: 'date-time',
      description: 'When your system last changed the record.',
    },
    version: { type: 'string', description: 'Your revision number of the record, if any.' },
  };
  const nested: Record<string, { type: 'object'; properties: Record<string, JsonSchema> }> = {};
  for (const f of targetFields(entity).values()) {
    if (f.itemOf !== undefined) continue; // array items are for mapped (non-canonical) pushes only
    const [head, tail] = f.path.split('.');
    if (tail && head) (nested[head] ??= { type: 'object', properties: {} }).properties[tail] = schemaOf(f);
    else properties[f.path] = schemaOf(f);
  }
  const required = [
    'recordId',
    ...[...targetFields(entity).values()]
      .filter((f) => f.required && !f.path.includes('.'))
      .map((f) => f.path),
  ];
  return { type: 'object', required, properties: { ...properties, ...nested } };
}

const errorBody = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        requestId: { type: 'string' },
        details: {
          type: 'array',
          items: {
            type: 'object',
            properties: { field: { type: 'string' }, problem: { type: 'string' }, hint: { type: 'string' } },
          },
        },
      },
    },
  },
};

const resultItem = {
  type: 'object',
  properties: {
    index: { type: 'integer' },
    status: { type: 'string', enum: ['accepted', 'rejected'] },
    recordId: { type: ['string', 'null'] },
    eventId: { type: 'string' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          field: { type: 'string' },
          source: { type: 'string' },
          code: { type: 'string' },
          problem: { type: 'string' },
          hint: { type: 'string' },
        },
      },
    },
  },
};

const err = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

/** The OpenAPI 3.1 document of the push API, with record schemas derived from the canonical Avro schemas. */
export function openApiDocument(maxBatchRecords: number): JsonSchema {
  const paths: Record<string, unknown> = {};
  for (const [plural, entity] of Object.entries(ENTITY_PATHS)) {
    const ref = { $ref: `#/components/schemas/${entity}Record` };
    const common = {
      '401': err('Missing or unknown API key'),
      '403': err('The key belongs to another source'),
      '409': err('A request with this Idempotency-Key is still in flight'),
      '413': err('Body or batch too large'),
      '422': err('Idempotency-Key reused with a different body'),
      '429': err('Rate limit exceeded'),
      '503': err(
        'Kafka unavailable or intake paused: nothing was accepted; retry with the same Idempotency-Key',
      ),
    };
    const params = [
      {
        name: 'source',
        in: 'path',
        required: true,
        schema: { type: 'string' },
        description: 'Your source system id (the one your key belongs to).',
      },
      {
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        schema: { type: 'string', maxLength: 200 },
        description: 'Retries with the same key and body return the first response.',
      },
    ];
    paths[`/v1/sources/{source}/${plural}`] = {
      post: {
        summary: `Push one ${entity} record`,
        security: [{ apiKey: [] }],
        parameters: params,
        requestBody: { required: true, content: { 'application/json': { schema: ref } } },
        responses: {
          '200': {
            description: 'Accepted: in Kafka',
            content: { 'application/json': { schema: resultItem } },
          },
          '400': err('Malformed JSON or an invalid record (details name each field)'),
          ...common,
        },
      },
    };
    paths[`/v1/sources/{source}/${plural}/batch`] = {
      post: {
        summary: `Push up to ${maxBatchRecords} ${entity} records`,
        security: [{ apiKey: [] }],
        parameters: params,
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['records'],
                properties: { records: { type: 'array', maxItems: maxBatchRecords, items: ref } },
              },
            },
          },
        },
        responses: {
          '200': {
            description: 'All accepted',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/BatchResult' } } },
          },
          '207': {
            description: 'Some accepted, some rejected (see results)',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/BatchResult' } } },
          },
          '400': {
            description: 'Malformed, or every record rejected',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/BatchResult' } } },
          },
          ...common,
        },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tuyên Quang shared-data hub — department push API',
      version: '1.0.0',
      description:
        'Departments push observations of citizens, businesses and dossiers. A 200/207 response means the accepted records are in Kafka.',
    },
    paths,
    components: {
      securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' } },
      schemas: {
        Error: errorBody,
        BatchResult: {
          type: 'object',
          properties: {
            accepted: { type: 'integer' },
            rejected: { type: 'integer' },
            results: { type: 'array', items: resultItem },
          },
        },
        citizenRecord: recordSchema('citizen'),
        businessRecord: recordSchema('business'),
        dossierRecord: recordSchema('dossier'),
      },
    },
  };
}
