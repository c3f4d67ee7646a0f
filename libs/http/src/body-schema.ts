import Ajv2020, { ErrorObject, ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { JsonSchema, SchemaViolation } from '@flowgate/contracts';

/** A compiled route schema: the body's violations, or none. */
export type BodyCheck = (body: unknown) => readonly SchemaViolation[];

/** Errors a 400 lists at most: a huge body that is wrong everywhere gets a bounded answer. */
export const MAX_LISTED_ERRORS = 20;

/**
 * Compiles JSON Schemas (draft 2020-12, OpenAPI 3.1's dialect) once per route version, with
 * every error collected rather than the first. One instance per process; `release` forgets a
 * schema that a newer route version replaced, so a long-lived gateway does not accumulate them.
 */
export class SchemaCompiler {
  private readonly ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: true });

  constructor() {
    addFormats(this.ajv);
  }

  /** @throws Error saying why `schema` is not a usable JSON Schema. */
  compile(schema: JsonSchema): BodyCheck {
    const validate: ValidateFunction = this.ajv.compile(schema);
    return (body) => (validate(body) ? [] : (validate.errors ?? []).slice(0, MAX_LISTED_ERRORS).map(violation));
  }

  release(schema: JsonSchema): void {
    if (typeof schema === 'object') this.ajv.removeSchema(schema);
  }
}

function violation(error: ErrorObject): SchemaViolation {
  const { additionalProperty } = error.params as { additionalProperty?: string };
  const message = error.message ?? error.keyword;
  return { path: error.instancePath || '/', message: additionalProperty === undefined ? message : `${message}: "${additionalProperty}"` };
}
