import { Inject, Injectable, Logger } from '@nestjs/common';
import type { GatewayConfig } from '@flowgate/config';
import { AuditRecord, CatalogEntry, isValidScriptName, ROUTE_NAME_RULE, sameCatalogEntry, ScriptActivationRecord, ScriptCanary, ScriptVersionRecord } from '@flowgate/contracts';
import { AdminBodyTooLargeError, AdminRequest, AdminResponse, AdminServer, AdminToken } from '@flowgate/http';
import type { GatewayMetrics } from '@flowgate/metrics';
import { RouteCatalog } from '../catalog/route-catalog.service';
import { GATEWAY_CONFIG, GATEWAY_METRICS } from '../gateway.tokens';
import { adminOpenApiDocument } from './admin-openapi';
import { AdminProblem, violations } from './admin-problem';
import {
  ADMIN_PREFIX, AdminRoute, ChangeAction, matchAdminRoute, NOT_JSON, parseActivate, parseAuditQuery, parseCanary, parseEmpty, parseJsonBody, Parsed, parseRollback, parseUpload,
} from './admin-requests';
import { SCRIPT_CHECKER, ScriptChecker } from './script-checker';
import { ScriptStore, VersionTakenError } from './script-store.service';

/**
 * Largest upload body: room for the largest source the sandbox takes (256 KiB) and a manifest
 * with examples, while the version record (the source as an escaped JSON string) stays under
 * the 1 MB Kafka takes by default.
 */
export const MAX_UPLOAD_BYTES = 384 * 1024;

/** What an action answers, and what its audit record says besides who and what. */
interface Outcome {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
  readonly version?: number;
  readonly sha256?: string;
  readonly detail?: string;
}

/**
 * The script admin API (`/admin/v1` on the admin port, docs/scripts-admin.md): uploads checked in
 * a sandbox before they are stored as versions of `<prefix>scripts`, activations (stable, canary,
 * promote, rollback), deletion, and reads of what the topic holds. Bearer token
 * FLOWGATE_ADMIN_TOKEN; without one the API is off and its paths answer 404 like any unknown path.
 * Every call on a path of the API is audited to `<prefix>audit` and logged, by the token's
 * fingerprint, never the token or the source.
 */
@Injectable()
export class ScriptAdmin {
  private readonly logger = new Logger(ScriptAdmin.name);
  private readonly token: AdminToken | undefined;
  /** Changes run one at a time on a gateway: two uploads of one script must not both take the same number here. */
  private changes: Promise<unknown> = Promise.resolve();

  constructor(
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    @Inject(GATEWAY_METRICS) private readonly metrics: GatewayMetrics,
    private readonly store: ScriptStore,
    private readonly catalog: RouteCatalog,
    @Inject(SCRIPT_CHECKER) private readonly checker: ScriptChecker | null,
  ) {
    this.token = config.FLOWGATE_ADMIN_TOKEN === '' ? undefined : new AdminToken(config.FLOWGATE_ADMIN_TOKEN);
  }

  get enabled(): boolean {
    return this.token !== undefined && this.checker !== null;
  }

  /** Mounts the API on the admin port, or says once that it is off. */
  mountOn(server: AdminServer): void {
    if (!this.enabled) {
      this.logger.log('script admin API off: FLOWGATE_ADMIN_TOKEN is not set (/admin/v1 answers 404)');
      return;
    }
    server.mount(ADMIN_PREFIX, { maxBodyBytes: MAX_UPLOAD_BYTES, handle: (request) => this.handle(request) });
    this.logger.log(`script admin API on the admin port under ${ADMIN_PREFIX} (token ${this.token!.fingerprint})`);
  }

  async handle(request: AdminRequest): Promise<AdminResponse> {
    const match = matchAdminRoute(request.method, request.path);
    if ('notFound' in match) return this.answer('unknown', new AdminProblem('notFound', `the admin API has no ${request.path}`));
    const action = 'route' in match ? match.route.action : 'unknown';
    const script = 'route' in match && 'name' in match.route ? match.route.name : '*';
    const authenticated = this.token!.accepts(request.headers.authorization);
    const actor = authenticated ? this.token!.fingerprint : 'unauthenticated';
    let outcome: Outcome | AdminProblem;
    if (!authenticated) {
      outcome = new AdminProblem('unauthorized', 'send Authorization: Bearer <FLOWGATE_ADMIN_TOKEN>', [], { 'www-authenticate': 'Bearer realm="flowgate-admin"' });
    } else if (!this.store.loaded) {
      outcome = new AdminProblem('scriptsLoading', 'the gateway is still reading the scripts topic; try again in a moment', [], { 'retry-after': '1' });
    } else if ('allow' in match) {
      outcome = new AdminProblem('methodNotAllowed', `${request.method} is not allowed on ${request.path}`, [], { allow: match.allow });
    } else {
      outcome = await this.perform(match.route, request, actor).catch((error: unknown) => this.problemOf(error, action, script));
    }
    await this.audit(outcome, { actor, action, script, ...('route' in match && match.route.action === 'version' ? { version: match.route.version } : {}) });
    return this.answer(action, outcome);
  }

  private async perform(route: AdminRoute, request: AdminRequest, actor: string): Promise<Outcome> {
    switch (route.action) {
      case 'openapi':
        return { status: 200, body: adminOpenApiDocument() };
      case 'list':
        return { status: 200, body: { scripts: this.store.table.list() } };
      case 'get':
        return { status: 200, body: this.describe(route.name) };
      case 'version': {
        const record = this.versionOf(route.name, route.version);
        return { status: 200, body: record, version: record.version, sha256: record.sha256 };
      }
      case 'audit': {
        const query = accepted(parseAuditQuery(request.query), 'the query');
        return { status: 200, body: { records: this.store.audit(query) } };
      }
    }
    const body = accepted(parseJsonBody(await request.readBody()), 'the body');
    return this.serially(() => this.change(route, body, actor));
  }

  private async change(route: { action: ChangeAction; name: string }, body: Record<string, unknown>, actor: string): Promise<Outcome> {
    const name = route.name;
    switch (route.action) {
      case 'upload':
        return this.upload(name, accepted(parseUpload(body), 'the upload', 'scriptRefused'), actor);
      case 'activate':
        return this.activate(name, accepted(parseActivate(body), 'the activation').version, { actor, reason: 'activate' });
      case 'canary':
        return this.canary(name, accepted(parseCanary(body), 'the canary'), actor);
      case 'promote':
        accepted(parseEmpty(body), 'the promotion');
        return this.promote(name, actor);
      case 'rollback': {
        const { version } = accepted(parseRollback(body), 'the rollback');
        return version === undefined ? this.dropCanary(name, actor) : this.activate(name, version, { actor, reason: 'rollback' });
      }
      case 'delete':
        accepted(parseEmpty(body), 'the deletion');
        return this.delete(name);
    }
  }

  private async upload(name: string, { source, manifest }: { source: string; manifest: ScriptVersionRecord['manifest'] }, actor: string): Promise<Outcome> {
    const checker = this.checker!;
    const early = [
      ...(isValidScriptName(name) ? [] : violations('', [`script name ${JSON.stringify(name)} must be ${ROUTE_NAME_RULE}`])),
      ...violations('/manifest', checker.manifestErrors(manifest, name)),
    ];
    if (early.length > 0) throw new AdminProblem('scriptRefused', `${name}: the upload was refused (${count(early.length)})`, early);
    // Numbered from the topic as it is now, not from this gateway's follower, which may lag behind another gateway's upload.
    const table = await this.store.currentTable();
    const latest = table.latest(name);
    if (latest && latest.manifest.kind !== manifest.kind) {
      throw new AdminProblem('scriptRefused', `${name} is a ${latest.manifest.kind} script; a version cannot make it a ${manifest.kind} script (delete it first)`, violations('/manifest/kind', [`must be ${latest.manifest.kind}`]));
    }
    const sha256 = checker.sha256(source, manifest);
    const body = (version: number) => ({ name, version, sha256 });
    // A retry of an upload that was stored: same answer, nothing written.
    if (latest?.sha256 === sha256) return { status: 200, body: body(latest.version), version: latest.version, sha256, detail: 'same content as the newest version' };
    const version = table.nextVersion(name);
    const reasons = await checker.check({ name, version, source, manifest });
    if (reasons.length > 0) {
      throw new AdminProblem('scriptRefused', `${name}: version ${version} was refused (${count(reasons.length)})`, reasons.map((message) => ({ path: pathOfReason(message), message })));
    }
    const record: ScriptVersionRecord = { name, version, source, manifest, sha256, uploadedAt: new Date().toISOString(), uploadedBy: actor };
    try {
      await this.store.writeVersion(record);
    } catch (error) {
      if (error instanceof VersionTakenError) throw new AdminProblem('scriptVersionTaken', error.message);
      throw error;
    }
    return { status: 201, body: body(version), headers: { location: `${ADMIN_PREFIX}/scripts/${name}/versions/${version}` }, version, sha256 };
  }

  private async activate(name: string, version: number, { actor, reason }: { actor: string; reason: string }): Promise<Outcome> {
    const record = this.versionOf(name, version);
    const current = this.store.table.activation(name);
    if (record.manifest.kind === 'route') this.assertRouteFree(name);
    const unchanged = current?.stable === version && current.canary === undefined;
    const activation = unchanged ? current : await this.writeActivation({ name, kind: record.manifest.kind, stable: version, actor, reason });
    if (record.manifest.kind === 'route') await this.publishRoute(record);
    return { status: 200, body: activation, version, sha256: record.sha256, detail: unchanged ? `version ${version} was already active` : `stable ${version}` };
  }

  private async canary(name: string, canary: ScriptCanary, actor: string): Promise<Outcome> {
    const record = this.versionOf(name, canary.version);
    const current = this.activeOf(name, 'a canary runs beside an active version: activate one first');
    if (current.stable === canary.version) throw new AdminProblem('scriptStateConflict', `version ${canary.version} of ${name} is its stable version already`);
    const activation = await this.writeActivation({ name, kind: current.kind, stable: current.stable, canary, actor, reason: 'canary' });
    const detail = `canary ${canary.version} on ${canary.share} of keys beside stable ${current.stable}, rollbackMargin ${canary.rollbackMargin}, minCalls ${canary.minCalls}${canary.promoteAfter === undefined ? '' : `, promoteAfter ${canary.promoteAfter}`}`;
    return { status: 200, body: activation, version: canary.version, sha256: record.sha256, detail };
  }

  private async promote(name: string, actor: string): Promise<Outcome> {
    const current = this.activeOf(name, 'promote makes the canary the stable version: start a canary first');
    if (!current.canary) throw new AdminProblem('scriptStateConflict', `${name} has no canary to promote`);
    const record = this.versionOf(name, current.canary.version);
    if (record.manifest.kind === 'route') this.assertRouteFree(name);
    const activation = await this.writeActivation({ name, kind: current.kind, stable: record.version, actor, reason: 'promote' });
    // The route is documented as its stable version declares it.
    if (record.manifest.kind === 'route') await this.publishRoute(record);
    return { status: 200, body: activation, version: record.version, sha256: record.sha256, detail: `canary ${record.version} promoted over ${current.stable}` };
  }

  private async dropCanary(name: string, actor: string): Promise<Outcome> {
    const current = this.activeOf(name, 'nothing is active');
    if (!current.canary) throw new AdminProblem('scriptStateConflict', `${name} has no canary to roll back (send {"version": n} to activate an earlier version)`);
    const activation = await this.writeActivation({ name, kind: current.kind, stable: current.stable, actor, reason: 'rollback' });
    return { status: 200, body: activation, version: current.stable, detail: `canary ${current.canary.version} dropped, stable ${current.stable}` };
  }

  private async delete(name: string): Promise<Outcome> {
    if (!this.store.table.has(name)) throw new AdminProblem('unknownScript', `there is no script ${name}`);
    const versions = this.store.table.versionsOf(name).map((v) => v.version);
    await this.store.deleteScript(name, versions);
    const retired = this.catalog.get(name)?.job === scriptJob(name);
    if (retired) await this.store.retireRoute(name);
    return { status: 200, body: { name, deleted: true, versions, routeRetired: retired }, detail: `versions ${versions.join(', ') || 'none'} deleted${retired ? ', route retired' : ''}` };
  }

  /** The script with its versions (without their sources) and its activation. */
  private describe(name: string): unknown {
    const summary = this.store.table.summary(name);
    if (!summary) throw new AdminProblem('unknownScript', `there is no script ${name}`);
    const activation = this.store.table.activation(name);
    return {
      ...summary,
      versions: this.store.table.versionsOf(name).map(({ version, sha256, uploadedAt, uploadedBy }) => ({ version, sha256, uploadedAt, uploadedBy })),
      ...(activation ? { changedAt: activation.changedAt, changedBy: activation.changedBy, reason: activation.reason } : {}),
    };
  }

  private versionOf(name: string, version: number): ScriptVersionRecord {
    const record = this.store.table.version(name, version);
    if (record) return record;
    if (!this.store.table.has(name)) throw new AdminProblem('unknownScript', `there is no script ${name}`);
    throw new AdminProblem('unknownScriptVersion', `${name} has no version ${version} (it has ${this.store.table.versionsOf(name).map((v) => v.version).join(', ') || 'none'})`);
  }

  private activeOf(name: string, why: string): ScriptActivationRecord {
    const current = this.store.table.activation(name);
    if (current) return current;
    if (!this.store.table.has(name)) throw new AdminProblem('unknownScript', `there is no script ${name}`);
    throw new AdminProblem('scriptStateConflict', `${name} has no active version: ${why}`);
  }

  private assertRouteFree(name: string): void {
    const served = this.catalog.get(name);
    if (served && served.job !== scriptJob(name)) {
      throw new AdminProblem('scriptRouteConflict', `route ${name} is served by job ${served.job}; a route script cannot take it (retire the route first, or name the script differently)`);
    }
  }

  private async writeActivation(options: { name: string; kind: ScriptActivationRecord['kind']; stable: number; canary?: ScriptCanary; actor: string; reason: string }): Promise<ScriptActivationRecord> {
    const { actor, canary, ...rest } = options;
    const record: ScriptActivationRecord = { ...rest, ...(canary ? { canary } : {}), changedAt: new Date().toISOString(), changedBy: actor };
    await this.store.writeActivation(record);
    return record;
  }

  /** Writes the route's catalog entry unless the catalog has that very entry already. */
  private async publishRoute(record: ScriptVersionRecord): Promise<void> {
    const entry = catalogEntryOf(record);
    const served = this.catalog.get(record.name);
    if (served && sameCatalogEntry({ job: served.job, route: served.route }, entry)) return;
    await this.store.publishRoute(entry);
  }

  private serially(change: () => Promise<Outcome>): Promise<Outcome> {
    const run = this.changes.then(change, change);
    this.changes = run.catch(() => undefined);
    return run;
  }

  private problemOf(error: unknown, action: string, script: string): AdminProblem {
    if (error instanceof AdminProblem) return error;
    if (error instanceof AdminBodyTooLargeError) return new AdminProblem('bodyTooLarge', `the body is larger than ${error.limit} bytes`);
    this.logger.error(`admin ${action} ${script} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return new AdminProblem('handlerFailed', `the ${action} failed: ${(error as Error).message}`);
  }

  /** The audit record and log line of a call; a failed audit write is logged, the answer still goes out. */
  private async audit(outcome: Outcome | AdminProblem, who: { actor: string; action: string; script: string; version?: number }): Promise<void> {
    const refused = outcome instanceof AdminProblem;
    const detail = refused ? [outcome.detail, ...outcome.errors.map((e) => e.message)].join('; ').slice(0, 2_000) : outcome.detail;
    const version = refused ? who.version : (outcome.version ?? who.version);
    const record: AuditRecord = {
      at: new Date().toISOString(),
      actor: who.actor,
      action: refused ? `refused:${who.action}` : who.action,
      script: who.script,
      ...(version === undefined ? {} : { version }),
      ...(!refused && outcome.sha256 ? { sha256: outcome.sha256 } : {}),
      ...(detail ? { detail } : {}),
    };
    const line = `admin ${record.action} ${record.script}${version === undefined ? '' : ` v${version}`} by ${record.actor}: ${outcome.status}${detail ? ` (${detail})` : ''}`;
    if (refused && outcome.status >= 500) this.logger.error(line);
    else if (refused) this.logger.warn(line);
    else this.logger.log(line);
    try {
      await this.store.writeAudit(record);
    } catch (error) {
      this.logger.error(`audit record of ${record.action} ${record.script} not written: ${(error as Error).message}`);
    }
  }

  private answer(action: string, outcome: Outcome | AdminProblem): AdminResponse {
    this.metrics.adminRequests.inc({ action, status: String(outcome.status) });
    if (outcome instanceof AdminProblem) return outcome.response();
    return { status: outcome.status, headers: { 'content-type': 'application/json', ...outcome.headers }, body: JSON.stringify(outcome.body) };
  }
}

/** The job name a route script's catalog entry carries. */
export function scriptJob(name: string): string {
  return `script:${name}`;
}

/** A route script's catalog entry: the route its manifest declares, named like the script, on the shared requests topic. */
export function catalogEntryOf(record: Pick<ScriptVersionRecord, 'name' | 'manifest'>): CatalogEntry {
  const declared = { ...(record.manifest.route ?? { summary: `Script ${record.name}` }) } as Record<string, unknown>;
  delete declared.name;
  delete declared.topic;
  return { job: scriptJob(record.name), route: { ...(declared as Omit<CatalogEntry['route'], 'name'>), name: record.name } };
}

/** The parsed value, or a problem listing every reason (400, or `kind` for a sound body that is refused). */
function accepted<T>(parsed: Parsed<T>, what: string, kind: 'scriptRefused' | 'badBody' = 'badBody'): T {
  if (parsed.ok) return parsed.value;
  const problem = parsed.errors.some((e) => e.startsWith(NOT_JSON)) ? 'malformedJson' : kind;
  throw new AdminProblem(problem, `${what} was refused (${count(parsed.errors.length)})`, violations('', parsed.errors));
}

function count(problems: number): string {
  return problems === 1 ? '1 problem' : `${problems} problems`;
}

/** Where in the upload a sandbox reason points: examples and capabilities are in the manifest, the rest in the source. */
function pathOfReason(message: string): string {
  if (/^example/i.test(message)) return '/manifest/examples';
  if (/^(manifest|kind|capabilities|limits|route)\b/i.test(message)) return '/manifest';
  return '/source';
}
