import { PROBLEM_CONTENT_TYPE } from '@flowgate/contracts';
import { PROBLEM_SCHEMA } from '../openapi/openapi-document';
import { ADMIN_PROBLEMS, AdminProblemKind } from './admin-problem';
import { ADMIN_PREFIX } from './admin-requests';

type Document = Record<string, unknown>;

const CANARY = {
  type: 'object',
  required: ['version', 'share', 'rollbackMargin', 'minCalls'],
  properties: {
    version: { type: 'integer', minimum: 1 },
    share: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
    rollbackMargin: { type: 'number', minimum: 0, maximum: 1 },
    minCalls: { type: 'integer', minimum: 1 },
    promoteAfter: { type: 'integer', minimum: 1 },
  },
};
const ACTIVATION = {
  type: 'object',
  required: ['name', 'kind', 'stable', 'changedAt', 'changedBy', 'reason'],
  properties: {
    name: { type: 'string' }, kind: { enum: ['route', 'step'] }, stable: { type: 'integer' }, canary: { $ref: '#/components/schemas/Canary' },
    changedAt: { type: 'string', format: 'date-time' }, changedBy: { type: 'string' }, reason: { type: 'string' },
  },
};
const SUMMARY = {
  type: 'object',
  required: ['name', 'kind', 'versions'],
  properties: { name: { type: 'string' }, kind: { enum: ['route', 'step'] }, versions: { type: 'array', items: {} }, stable: { type: 'integer' }, canary: { $ref: '#/components/schemas/Canary' } },
};
const VERSION = {
  type: 'object',
  required: ['name', 'version', 'source', 'manifest', 'sha256', 'uploadedAt', 'uploadedBy'],
  properties: {
    name: { type: 'string' }, version: { type: 'integer' }, source: { type: 'string' }, manifest: { type: 'object' },
    sha256: { type: 'string' }, uploadedAt: { type: 'string', format: 'date-time' }, uploadedBy: { type: 'string' },
  },
};
const AUDIT = {
  type: 'object',
  required: ['at', 'actor', 'action', 'script'],
  properties: {
    at: { type: 'string', format: 'date-time' }, actor: { type: 'string' }, action: { type: 'string' }, script: { type: 'string' },
    version: { type: 'integer' }, sha256: { type: 'string' }, detail: { type: 'string' },
  },
};
const UPLOADED = { type: 'object', required: ['name', 'version', 'sha256'], properties: { name: { type: 'string' }, version: { type: 'integer' }, sha256: { type: 'string' } } };

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (description: string, schema: unknown) => ({ description, content: { 'application/json': { schema } } });
const NAME = { name: 'name', in: 'path', required: true, description: 'The script\'s name (a route name for a route script).', schema: { type: 'string' } };

/** Every call can be refused for these, whatever it asks. */
const ANY_CALL: readonly AdminProblemKind[] = ['unauthorized', 'scriptsLoading', 'handlerFailed'];
/** A call with a body. */
const WITH_BODY: readonly AdminProblemKind[] = ['malformedJson', 'badBody', 'bodyTooLarge'];

/** One response per status (problems of one status share it), each a problem+json. */
function problems(kinds: readonly AdminProblemKind[]): Record<string, Document> {
  const byStatus = new Map<number, string[]>();
  for (const kind of [...kinds, ...ANY_CALL]) byStatus.set(ADMIN_PROBLEMS[kind].status, [...(byStatus.get(ADMIN_PROBLEMS[kind].status) ?? []), ADMIN_PROBLEMS[kind].title]);
  return Object.fromEntries([...byStatus].map(([status, titles]) => [String(status), { description: titles.join('; '), content: { [PROBLEM_CONTENT_TYPE]: { schema: ref('Problem') } } }]));
}

function action(name: 'activate' | 'canary' | 'promote' | 'rollback', summary: string, body: Document): Document {
  return {
    post: {
      operationId: `${name}Script`,
      summary,
      parameters: [NAME],
      requestBody: { required: false, content: { 'application/json': { schema: body } } },
      responses: { '200': json('The script\'s activation now.', ref('Activation')), ...problems(['unknownScript', 'unknownScriptVersion', 'scriptRouteConflict', 'scriptStateConflict', ...WITH_BODY]) },
    },
  };
}

/**
 * The script admin API's OpenAPI 3.1 document (`GET /admin/v1/openapi.json` on the admin port,
 * behind the admin token like the rest of the API; docs/scripts-admin.md tells the story).
 */
export function adminOpenApiDocument(): Document {
  const p = ADMIN_PREFIX;
  return {
    openapi: '3.1.0',
    info: { title: 'flowgate script admin API', version: '1', description: 'Upload, activate, canary, promote, roll back and delete scripts; read what the scripts topic holds and the audit trail.' },
    security: [{ adminToken: [] }],
    paths: {
      [`${p}/openapi.json`]: { get: { operationId: 'adminOpenApi', summary: 'This document.', responses: { '200': json('The document.', { type: 'object' }), ...problems([]) } } },
      [`${p}/scripts`]: {
        get: {
          operationId: 'listScripts',
          summary: 'Every script with its versions and activation.',
          responses: { '200': json('The scripts.', { type: 'object', required: ['scripts'], properties: { scripts: { type: 'array', items: ref('ScriptSummary') } } }), ...problems([]) },
        },
      },
      [`${p}/scripts/{name}`]: {
        get: {
          operationId: 'getScript',
          summary: 'A script: its versions (without sources) and activation.',
          parameters: [NAME],
          responses: { '200': json('The script.', ref('ScriptSummary')), ...problems(['unknownScript']) },
        },
        put: {
          operationId: 'uploadScript',
          summary: 'Uploads a new version, checked in the sandbox (examples run) before it is stored. The same content again answers 200 with the stored version.',
          parameters: [NAME],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { type: 'object', required: ['source', 'manifest'], additionalProperties: false, properties: { source: { type: 'string', minLength: 1 }, manifest: { type: 'object' } } } } },
          },
          responses: {
            '200': json('The same content as the newest version: nothing stored.', ref('Uploaded')),
            '201': { ...json('Stored as a new version.', ref('Uploaded')), headers: { Location: { schema: { type: 'string' } } } },
            ...problems(['scriptRefused', 'scriptVersionTaken', ...WITH_BODY]),
          },
        },
        delete: {
          operationId: 'deleteScript',
          summary: 'Deletes every version and the activation; a route script\'s route is retired.',
          parameters: [NAME],
          requestBody: { required: false, content: { 'application/json': { schema: { type: 'object', additionalProperties: false } } } },
          responses: {
            '200': json('Deleted.', { type: 'object', required: ['name', 'deleted', 'versions', 'routeRetired'], properties: { name: { type: 'string' }, deleted: { const: true }, versions: { type: 'array', items: { type: 'integer' } }, routeRetired: { type: 'boolean' } } }),
            ...problems(['unknownScript', ...WITH_BODY]),
          },
        },
      },
      [`${p}/scripts/{name}/versions/{version}`]: {
        get: {
          operationId: 'getScriptVersion',
          summary: 'One stored version, with its source and manifest.',
          parameters: [NAME, { name: 'version', in: 'path', required: true, schema: { type: 'integer', minimum: 1, maximum: 999_999_999 } }],
          responses: { '200': json('The version.', ref('ScriptVersion')), ...problems(['unknownScript', 'unknownScriptVersion', 'notFound']) },
        },
      },
      [`${p}/scripts/{name}/activate`]: action('activate', 'Makes a version the stable one (and drops a canary).', { type: 'object', required: ['version'], additionalProperties: false, properties: { version: { type: 'integer', minimum: 1 } } }),
      [`${p}/scripts/{name}/canary`]: action('canary', 'Runs a version beside the stable one on a share of keys, rolled back automatically when it errs more.', {
        type: 'object', required: ['version', 'share'], additionalProperties: false,
        properties: { version: { type: 'integer', minimum: 1 }, share: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 }, rollbackMargin: { type: 'number', minimum: 0, maximum: 1 }, minCalls: { type: 'integer', minimum: 1 }, promoteAfter: { type: 'integer', minimum: 1 } },
      }),
      [`${p}/scripts/{name}/promote`]: action('promote', 'Makes the canary the stable version.', { type: 'object', additionalProperties: false }),
      [`${p}/scripts/{name}/rollback`]: action('rollback', '`{}` drops the canary; `{"version": n}` activates an earlier version.', { type: 'object', additionalProperties: false, properties: { version: { type: 'integer', minimum: 1 } } }),
      [`${p}/audit`]: {
        get: {
          operationId: 'auditTrail',
          summary: 'The newest audit records (every call on the API, by token fingerprint).',
          parameters: [
            { name: 'script', in: 'query', required: false, schema: { type: 'string' } },
            { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 1_000, default: 100 } },
          ],
          responses: { '200': json('The records, newest first.', { type: 'object', required: ['records'], properties: { records: { type: 'array', items: ref('AuditRecord') } } }), ...problems(['badBody']) },
        },
      },
    },
    components: {
      securitySchemes: { adminToken: { type: 'http', scheme: 'bearer', description: 'FLOWGATE_ADMIN_TOKEN.' } },
      schemas: { Problem: PROBLEM_SCHEMA, Canary: CANARY, Activation: ACTIVATION, ScriptSummary: SUMMARY, ScriptVersion: VERSION, AuditRecord: AUDIT, Uploaded: UPLOADED },
    },
  };
}
