import { PROBLEM_CONTENT_TYPE, PROBLEMS, SchemaViolation } from '@flowgate/contracts';
import type { AdminResponse } from '@flowgate/http';

/** The admin API's problems: the shared ones it answers too, and its own (same `urn:flowgate:problem:` scheme). */
export const ADMIN_PROBLEMS = {
  malformedJson: PROBLEMS.malformedJson,
  badBody: PROBLEMS.badBody,
  unauthorized: PROBLEMS.unauthorized,
  notFound: PROBLEMS.notFound,
  methodNotAllowed: PROBLEMS.methodNotAllowed,
  bodyTooLarge: PROBLEMS.bodyTooLarge,
  unknownScript: { status: 404, title: 'Unknown script' },
  unknownScriptVersion: { status: 404, title: 'Unknown script version' },
  scriptVersionTaken: { status: 409, title: 'Script version taken by another upload' },
  scriptRouteConflict: { status: 409, title: 'Route served by another job' },
  scriptStateConflict: { status: 409, title: 'Not possible in the script\'s current state' },
  scriptRefused: { status: 422, title: 'Script refused' },
  handlerFailed: PROBLEMS.handlerFailed,
  scriptsLoading: { status: 503, title: 'Script admin API starting' },
} as const satisfies Record<string, { status: number; title: string }>;

export type AdminProblemKind = keyof typeof ADMIN_PROBLEMS;

/** A refused admin call, thrown by an action and answered as problem+json. */
export class AdminProblem extends Error {
  constructor(
    readonly kind: AdminProblemKind,
    readonly detail: string,
    readonly errors: readonly SchemaViolation[] = [],
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(detail);
    this.name = 'AdminProblem';
  }

  get status(): number {
    return ADMIN_PROBLEMS[this.kind].status;
  }

  response(): AdminResponse {
    const { status, title } = ADMIN_PROBLEMS[this.kind];
    const type = `urn:flowgate:problem:${this.kind.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    const body = { type, title, status, detail: this.detail, ...(this.errors.length > 0 ? { errors: this.errors } : {}) };
    return { status, headers: { 'content-type': PROBLEM_CONTENT_TYPE, ...this.headers }, body: JSON.stringify(body) };
  }
}

/** Reasons given as text, as SchemaViolations of `path` (the part of the body they are about). */
export function violations(path: string, messages: readonly string[]): SchemaViolation[] {
  return messages.map((message) => ({ path, message }));
}
