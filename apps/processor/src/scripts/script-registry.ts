import { Inject, Injectable, Logger } from '@nestjs/common';
import { AccessError, type ProcessorConfig } from '@flowgate/config';
import { AuditRecord, ScriptActivationRecord, scriptActivationKey, ScriptKind, ScriptVersionRecord } from '@flowgate/contracts';
import { Readiness } from '@flowgate/http';
import type { CompactedTopicReader } from '@flowgate/kafka';
import type { ProcessorMetrics } from '@flowgate/metrics';
import { RedisConnection } from '@flowgate/redis';
import { checkScript, ScriptCallContext, ScriptCallError, ScriptEngine, ScriptHost, ScriptLoadError } from '@flowgate/scripts';
import type { KeyedState, RecordContext } from '@flowgate/stream';
import { PROCESSOR_CONFIG, PROCESSOR_METRICS } from '../processor.tokens';
import { ProcessorKafka } from '../transport/processor-kafka.service';
import { CanaryDecision, countCall, emptyStats, judgeCanary, VersionStats } from './canary-judge';
import { inCanary } from './canary-split';
import { LoadedVersion } from './loaded-version';
import { ScriptEmit, scriptHost } from './script-host';
import { decodeScriptRecord, sameActivation } from './script-records';

export type ScriptRole = 'stable' | 'canary';

/** The version a record runs on, picked once when the record starts. */
export interface PickedScript {
  readonly script: LoadedVersion;
  readonly role: ScriptRole;
}

/** What a route script made of one request: its result or failure, and the records it emitted (only on success). */
export interface RouteScriptOutcome {
  readonly script: LoadedVersion;
  readonly result?: unknown;
  readonly error?: ScriptCallError;
  readonly emits: readonly ScriptEmit[];
}

/** How a call ended, as `flowgate_script_calls_total{outcome}` counts it. */
export type ScriptCallOutcome = 'ok' | 'rejected' | 'error' | 'budget' | 'memory';

/** The versions serving one script now: swapped as a whole, by one assignment. */
interface ActiveSet {
  readonly activation: ScriptActivationRecord;
  readonly stable: LoadedVersion;
  readonly canary?: LoadedVersion;
  readonly stats: Record<ScriptRole, VersionStats>;
  /** An automatic decision on its canary was taken (or is being written). */
  decided: boolean;
}

/**
 * The processor's scripts: `<prefix>scripts` read from its beginning and then followed (versions
 * and activations), each active version loaded into its sandboxes and checked against its
 * examples before it serves, and a script's versions swapped atomically, only once the new ones
 * loaded (a version that fails here leaves the previous ones serving). A record picks its version
 * once, when it starts: the canary when the hash of its key (or request id) falls below the
 * canary's share. Per version it counts calls and failures, and writes the automatic canary
 * decisions (rollback, promote) as activation and audit records.
 *
 * Not ready (`scripts` readiness check) until the topic is read to where it ended at start and
 * every activation in it is loaded (or failed to, logged and counted).
 */
@Injectable()
export class ScriptRegistry {
  private readonly logger = new Logger(ScriptRegistry.name);
  private readonly versions = new Map<string, Map<number, ScriptVersionRecord>>();
  /** The newest activation record read, per script. */
  private readonly activations = new Map<string, ScriptActivationRecord>();
  /** What serves now, per script. */
  private readonly active = new Map<string, ActiveSet>();
  /** The activation this processor could not apply, per script: not tried again until a new one (or a missing version) arrives. */
  private readonly failed = new Map<string, ScriptActivationRecord>();
  /** Each script's changes, applied one after another. */
  private readonly queues = new Map<string, Promise<void>>();
  private readonly routeListeners: (() => void)[] = [];
  private readonly scriptLoggers = new Map<string, Logger>();
  /** Created with the first version to load: a processor without scripts starts no sandbox workers. */
  private engine: Promise<ScriptEngine> | undefined;
  private reader: CompactedTopicReader | undefined;
  private caughtUp = false;
  private ready = false;
  private readonly actor: string;
  private readonly prefix: string;
  private readonly groupPrefix: string;

  constructor(
    @Inject(PROCESSOR_CONFIG) config: ProcessorConfig,
    @Inject(PROCESSOR_METRICS) private readonly metrics: ProcessorMetrics,
    private readonly kafka: ProcessorKafka,
    private readonly redis: RedisConnection,
    readiness: Readiness,
  ) {
    this.actor = `processor:${config.FLOWGATE_INSTANCE_ID}`;
    this.prefix = config.FLOWGATE_TOPIC_PREFIX;
    this.groupPrefix = `${config.FLOWGATE_TOPIC_PREFIX}processor-scripts-${config.FLOWGATE_INSTANCE_ID}-`;
    readiness.register('scripts', () => this.ready);
  }

  get isReady(): boolean {
    return this.ready;
  }

  /**
   * Reads the scripts topic (it must exist) to where it ends now and loads every active version,
   * then keeps following it. Resolves when this processor serves what the topic holds.
   */
  async start(): Promise<void> {
    // kv calls fail (that call only) until Redis answers; the client keeps reconnecting. Redis
    // refusing the processor's user or certificate is a wrong setting, not an outage: it stops the
    // processor at boot (an AccessError), as it stops the gateway and the sweeper.
    await this.redis.connect().catch((error: Error) => {
      if (error instanceof AccessError) throw error;
      this.logger.warn(`redis not reachable yet, flowgate.kv of scripts fails until it is: ${error.message}`);
    });
    this.reader = this.kafka.connection.followTable({
      topic: this.kafka.topics.scripts,
      groupPrefix: this.groupPrefix,
      onRecord: (key, value) => this.apply(key, value),
      onCrash: (error) => this.logger.warn(`scripts reader crashed (started again, reads the topic from its beginning): ${error.message}`),
    });
    await this.reader.start();
    await this.reader.caughtUp;
    this.caughtUp = true;
    for (const name of this.activations.keys()) this.schedule(name);
    await this.settled();
    this.ready = true;
    const serving = [...this.active.values()].map((set) => describe(set.activation));
    this.logger.log(`scripts read: serving ${serving.length} (${serving.join(', ') || 'none'})${this.failed.size > 0 ? `; not loaded here: ${[...this.failed.keys()].join(', ')}` : ''}`);
  }

  async stop(): Promise<void> {
    this.ready = false;
    await this.reader?.stop();
    await this.settled();
    await Promise.all([...this.active.values()].flatMap((set) => [set.stable.dispose(), set.canary?.dispose()]));
    this.active.clear();
  }

  /** The version `keyOrId` runs on now, and its role; undefined when the script is not active here. Call it at once. */
  pick(name: string, keyOrId: string): PickedScript | undefined {
    const set = this.active.get(name);
    return set && pickIn(set, keyOrId);
  }

  /** Whether an active route script serves `route` here. */
  servesRoute(route: string): boolean {
    return this.active.get(route)?.activation.kind === 'route';
  }

  get hasRouteScripts(): boolean {
    return [...this.active.values()].some((set) => set.activation.kind === 'route');
  }

  /** Called (each time) when a route script becomes active: the shared requests topic may need a consumer now. */
  onRouteScriptActive(listener: () => void): void {
    this.routeListeners.push(listener);
  }

  /** Each active script: kind, stable version and canary (for /topology and the console). */
  describe(): { name: string; kind: ScriptKind; stable: number; canary?: { version: number; share: number } }[] {
    return [...this.active.values()].map(({ activation: { name, kind, stable, canary } }) => ({
      name, kind, stable, ...(canary ? { canary: { version: canary.version, share: canary.share } } : {}),
    }));
  }

  /**
   * Runs the active route script `name` on a request, on the version `keyOrId` picks; undefined
   * when no route script of that name is active here. A request for a script whose activation
   * is still loading here waits for it (the gateway may learn the route first). Never rejects: a
   * failed call is the outcome's `error`.
   */
  async runRoute(name: string, input: unknown, ctx: ScriptCallContext, keyOrId: string): Promise<RouteScriptOutcome | undefined> {
    if (this.active.get(name)?.activation.kind !== 'route') await this.whileLoading(name, 'route');
    const set = this.active.get(name);
    if (set?.activation.kind !== 'route') return undefined;
    // Picked and started in one synchronous step: a swap from here on lets this call finish on its version.
    const picked = pickIn(set, keyOrId);
    const emits: ScriptEmit[] = [];
    const host = this.host(picked.script, ctx.id, (emitted) => emits.push(emitted));
    try {
      return { script: picked.script, result: await this.callIn(set, picked, input, ctx, host), emits };
    } catch (error) {
      return { script: picked.script, error: asCallError(error), emits: [] };
    }
  }

  /**
   * Runs the active step script `script` on one value of a job (`.script(name)` steps): the
   * version picked by `ctx.key` (or the record id), `state` as `flowgate.state`, `emit` for
   * `flowgate.emit` (it gets the topic with the prefix). Resolves with the handler's result.
   *
   * @throws ScriptCallError when the call fails or no step script of that name is active here.
   */
  async run(script: string, value: unknown, ctx: RecordContext, state?: KeyedState, emit?: (topic: string, key: string, value: unknown) => void): Promise<unknown> {
    if (this.active.get(script)?.activation.kind !== 'step') await this.whileLoading(script, 'step');
    const set = this.active.get(script);
    if (set?.activation.kind !== 'step') throw new ScriptCallError('error', `no step script ${script} is active on this processor`);
    // Picked and started in one synchronous step, as for route scripts.
    const picked = pickIn(set, ctx.key ?? ctx.id);
    const host = this.host(picked.script, ctx.id, (emitted) => {
      if (!emit) throw new Error(`flowgate.emit is not available to script ${picked.script.label} here`);
      emit(emitted.topic, emitted.key, emitted.value);
    }, state);
    const callCtx: ScriptCallContext = {
      id: ctx.id, timestamp: ctx.timestamp, deadline: ctx.deadline, partition: ctx.partition,
      ...(ctx.key === undefined ? {} : { key: ctx.key }),
      ...(ctx.route === undefined ? {} : { route: ctx.route }),
      ...(ctx.callerId === undefined ? {} : { callerId: ctx.callerId }),
    };
    return this.callIn(set, picked, value, callCtx, host);
  }

  /**
   * What serves `name` as a `kind` script. When its activation is still loading here (a record may
   * arrive moments after the activation record), waits for that instead of failing the record.
   * The caller reads the set again after the await and picks from it at once: between an await
   * and the pick, a swap may have disposed what was read before.
   */
  private async whileLoading(name: string, kind: ScriptKind): Promise<void> {
    const loading = this.queues.get(name);
    if (this.active.get(name)?.activation.kind !== kind && loading && this.activations.get(name)?.kind === kind) await loading;
  }

  private host(script: LoadedVersion, requestId: string, emit: (emitted: ScriptEmit) => void, state?: KeyedState): ScriptHost {
    return scriptHost({
      name: script.name, version: script.version, manifest: script.manifest, requestId,
      redis: this.redis.client, prefix: this.prefix, logger: this.scriptLogger(script.name), emit,
      ...(state ? { state } : {}),
    });
  }

  /** The logger of a script's `flowgate.log` lines (context `script:<name>`). */
  private scriptLogger(name: string): Logger {
    let logger = this.scriptLoggers.get(name);
    if (!logger) this.scriptLoggers.set(name, (logger = new Logger(`script:${name}`)));
    return logger;
  }

  private async callIn(set: ActiveSet, { script, role }: PickedScript, input: unknown, ctx: ScriptCallContext, host: ScriptHost): Promise<unknown> {
    const started = process.hrtime.bigint();
    let outcome: ScriptCallOutcome = 'ok';
    try {
      return await script.call(input, ctx, host);
    } catch (error) {
      outcome = callOutcome(error);
      throw error;
    } finally {
      const labels = { script: script.name, version: String(script.version) };
      this.metrics.scriptCalls.inc({ ...labels, outcome });
      this.metrics.scriptCallDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
      countCall(set.stats[role], outcome !== 'ok' && outcome !== 'rejected');
      if (set.canary && !set.decided) this.judge(set);
    }
  }

  private judge(set: ActiveSet): void {
    const decision = judgeCanary(set.activation, set.stats, { at: new Date().toISOString(), by: this.actor });
    if (!decision) return;
    set.decided = true;
    void this.writeDecision(set, decision);
  }

  /**
   * Writes an automatic canary decision, unless the activation it judged is no longer the newest
   * (an admin or another processor changed it meanwhile). Several processors may decide at once:
   * the same decision written twice changes nothing.
   */
  private async writeDecision(set: ActiveSet, { decision, activation }: CanaryDecision): Promise<void> {
    const { name } = activation;
    if (!sameActivation(this.activations.get(name), set.activation)) return;
    const canary = set.canary!;
    const audit: AuditRecord = {
      at: activation.changedAt, actor: this.actor, action: `auto-${decision}`, script: name,
      version: canary.version, sha256: canary.record.sha256, detail: activation.reason,
    };
    try {
      await this.kafka.connection.sendBatchDirect([
        { topic: this.kafka.topics.scripts, messages: [{ key: scriptActivationKey(name), value: JSON.stringify(activation) }] },
        { topic: this.kafka.topics.audit, messages: [{ key: name, value: JSON.stringify(audit) }] },
      ]);
    } catch (error) {
      set.decided = false; // judged again on the next call
      this.logger.warn(`script ${name}: writing the ${decision} of canary v${canary.version} failed (tried again): ${(error as Error).message}`);
      return;
    }
    this.metrics.scriptCanaryDecisions.inc({ script: name, decision });
    const line = `script ${name}: ${activation.reason} (stats: stable ${statsText(set.stats.stable)}, canary ${statsText(set.stats.canary)})`;
    if (decision === 'rollback') this.logger.warn(line);
    else this.logger.log(line);
  }

  /** One record of the scripts topic (called by the reader, in offset order; must not throw). */
  private apply(key: string, value: Buffer | null): void {
    let decoded;
    try {
      decoded = decodeScriptRecord(key, value);
    } catch (error) {
      this.logger.error(`scripts topic: record ${key} ignored: ${(error as Error).message}`);
      return;
    }
    if (!decoded) return;
    const { name } = decoded;
    if (decoded.type === 'version') {
      const versions = this.versions.get(name) ?? new Map<number, ScriptVersionRecord>();
      this.versions.set(name, versions);
      if (decoded.record) versions.set(decoded.version, decoded.record);
      else versions.delete(decoded.version);
      // A version an activation waits for (written out of order, by hand) arrived.
      const waiting = this.failed.get(name);
      if (decoded.record && waiting && activeVersions(waiting).includes(decoded.version)) {
        this.failed.delete(name);
        if (this.caughtUp) this.schedule(name);
      }
      return;
    }
    if (decoded.record) this.activations.set(name, decoded.record);
    else this.activations.delete(name);
    // Before the topic is read to its end, only the newest activation of each script matters: applied then.
    if (this.caughtUp) this.schedule(name);
  }

  private schedule(name: string): void {
    const next = (this.queues.get(name) ?? Promise.resolve()).then(() => this.reconcile(name)).catch((error: unknown) => {
      this.logger.error(`script ${name}: applying its activation failed: ${error instanceof Error ? error.stack : String(error)}`);
    });
    this.queues.set(name, next);
    void next.then(() => {
      if (this.queues.get(name) === next) this.queues.delete(name);
    });
  }

  /** Resolves when every change scheduled so far (and any they scheduled) is applied. */
  private async settled(): Promise<void> {
    while (this.queues.size > 0) await Promise.all(this.queues.values());
  }

  /** Makes what serves `name` match its newest activation record. */
  private async reconcile(name: string): Promise<void> {
    const target = this.activations.get(name);
    const current = this.active.get(name);
    if (!target) {
      if (current) this.deactivate(name, current);
      return;
    }
    if (current && sameActivation(current.activation, target)) return;
    const failed = this.failed.get(name);
    if (failed && sameActivation(failed, target)) return;
    const loaded: LoadedVersion[] = [];
    const versionFor = async (version: number): Promise<LoadedVersion> => {
      const record = this.versions.get(name)?.get(version);
      if (!record) throw new ScriptLoadError(`version ${version} is not in ${this.kafka.topics.scripts}`);
      if (record.manifest.kind !== target.kind) throw new ScriptLoadError(`version ${version} is a ${record.manifest.kind} script, activated as ${target.kind}`);
      const held = [current?.stable, current?.canary].find((v) => v?.is(record));
      if (held) return held;
      const fresh = await this.load(record);
      loaded.push(fresh);
      return fresh;
    };
    let failing = target.stable;
    let stable: LoadedVersion;
    let canary: LoadedVersion | undefined;
    try {
      stable = await versionFor(target.stable);
      if (target.canary) {
        failing = target.canary.version;
        canary = await versionFor(target.canary.version);
      }
    } catch (error) {
      await Promise.all(loaded.map((version) => version.dispose()));
      this.failed.set(name, target);
      this.metrics.scriptLoadFailures.inc({ script: name, version: String(failing) });
      const keeps = current ? `${describe(current.activation)} keeps serving` : 'nothing serves it here';
      this.logger.error(`script ${name}: ${describe(target)} not applied on this processor (${keeps}): v${failing}: ${(error as Error).message}`);
      return;
    }
    const set: ActiveSet = { activation: target, stable, ...(canary ? { canary } : {}), stats: { stable: emptyStats(), canary: emptyStats() }, decided: false };
    // The swap: records that start from here on pick from the new set; calls under way finish on theirs.
    this.active.set(name, set);
    this.failed.delete(name);
    for (const old of [current?.stable, current?.canary]) if (old && old !== stable && old !== canary) old.retire();
    this.showActive(name, set);
    if (this.caughtUp) {
      this.metrics.scriptSwapDelay.observe({ script: name }, Math.max(0, Date.now() - Date.parse(target.changedAt)) / 1000);
      this.logger.log(`script ${name}: now ${describe(target)} (${target.reason}, by ${target.changedBy})`);
    }
    if (target.kind === 'route' && current?.activation.kind !== 'route') for (const listener of this.routeListeners) listener();
  }

  /** Loads a version and runs its examples again here: what passed at upload must pass on this processor too. */
  private async load(record: ScriptVersionRecord): Promise<LoadedVersion> {
    this.engine ??= ScriptEngine.create().catch((error: unknown) => {
      this.engine = undefined; // the next version tries again
      throw error;
    });
    const engine = await this.engine;
    const problems = await checkScript(engine, record);
    if (problems.length > 0) throw new ScriptLoadError(problems.join('; '));
    const topics = record.manifest.capabilities?.emit?.topics ?? [];
    // Emitted records need their topics; a job that reads one may have created it already.
    if (topics.length > 0) await this.kafka.connection.ensureTopics(topics.map((topic) => ({ topic: this.prefix + topic, numPartitions: 1 })));
    const script = await engine.load(record);
    return new LoadedVersion(record, script, (error) => this.logger.warn(`script ${record.name}@${record.version}: freeing its sandbox failed: ${String(error)}`));
  }

  private deactivate(name: string, current: ActiveSet): void {
    this.active.delete(name);
    this.failed.delete(name);
    current.stable.retire();
    current.canary?.retire();
    this.metrics.scriptActiveVersion.remove({ script: name, role: 'stable' });
    this.metrics.scriptActiveVersion.remove({ script: name, role: 'canary' });
    this.logger.log(`script ${name}: deleted, no longer served`);
  }

  private showActive(name: string, set: ActiveSet): void {
    this.metrics.scriptActiveVersion.set({ script: name, role: 'stable' }, set.stable.version);
    if (set.canary) this.metrics.scriptActiveVersion.set({ script: name, role: 'canary' }, set.canary.version);
    else this.metrics.scriptActiveVersion.remove({ script: name, role: 'canary' });
  }
}

function pickIn(set: ActiveSet, keyOrId: string): PickedScript {
  const { canary } = set;
  if (canary && inCanary(keyOrId, set.activation.canary!.share)) return { script: canary, role: 'canary' };
  return { script: set.stable, role: 'stable' };
}

function activeVersions(activation: ScriptActivationRecord): number[] {
  return [activation.stable, ...(activation.canary ? [activation.canary.version] : [])];
}

function describe(activation: ScriptActivationRecord): string {
  const { name, stable, canary } = activation;
  return `${name}@${stable}${canary ? ` + canary v${canary.version} (${Math.round(canary.share * 100)} %)` : ''}`;
}

function statsText(stats: VersionStats): string {
  return `${stats.errors}/${stats.calls} failed`;
}

/** A RouteError below 500 is the script answering as designed; anything else thrown is a failure. */
function callOutcome(error: unknown): ScriptCallOutcome {
  if (!(error instanceof ScriptCallError)) return 'error';
  if (error.reason !== 'error') return error.reason;
  return error.code !== undefined && (error.status ?? 400) < 500 ? 'rejected' : 'error';
}

function asCallError(error: unknown): ScriptCallError {
  if (error instanceof ScriptCallError) return error;
  return new ScriptCallError('error', error instanceof Error ? `${error.name}: ${error.message}` : String(error));
}
