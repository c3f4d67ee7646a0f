import { Inject, Injectable, Logger } from '@nestjs/common';
import type { GatewayConfig } from '@flowgate/config';
import { CatalogEntry, decodeCatalogEntry, RouteDeclaration, routeTopic } from '@flowgate/contracts';
import { BodyCheck, Readiness, SchemaCompiler } from '@flowgate/http';
import type { CompactedTopicReader } from '@flowgate/kafka';
import type { GatewayMetrics } from '@flowgate/metrics';
import { GatewayKafka } from '../dispatch/gateway-kafka.service';
import { GATEWAY_CONFIG, GATEWAY_METRICS } from '../gateway.tokens';

/** A route as this gateway serves it: its declaration, the job serving it, its topic, its compiled body check. */
export interface ServedRoute {
  readonly route: RouteDeclaration;
  readonly job: string;
  /** The request topic, prefix included. */
  readonly topic: string;
  readonly checkBody?: BodyCheck;
}

/**
 * The routes this gateway serves: the route catalog topic, read from its beginning and then
 * followed, so a route a processor declares is served within moments and a retired one answers
 * 404 again, without a restart. Not ready until it has read the catalog as it was at start.
 * Each route version's body schema is compiled once, when the version arrives.
 */
@Injectable()
export class RouteCatalog {
  private readonly logger = new Logger(RouteCatalog.name);
  private readonly routes = new Map<string, ServedRoute>();
  private readonly compiler = new SchemaCompiler();
  private reader: CompactedTopicReader | undefined;
  private loaded = false;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(GATEWAY_METRICS) private readonly metrics: GatewayMetrics,
    private readonly kafka: GatewayKafka,
    readiness: Readiness,
  ) {
    readiness.register('catalog', () => this.loaded);
  }

  get(name: string): ServedRoute | undefined {
    return this.routes.get(name);
  }

  has(name: string): boolean {
    return this.routes.has(name);
  }

  /** Every route served now, by name. */
  all(): ServedRoute[] {
    return [...this.routes.values()].sort((a, b) => a.route.name.localeCompare(b.route.name));
  }

  /** Reads the catalog up to where it ends now (the topic must exist), then keeps following it. */
  async start(): Promise<void> {
    this.reader = this.kafka.connection.followTable({
      topic: this.kafka.topics.routes,
      groupPrefix: `${this.config.FLOWGATE_TOPIC_PREFIX}gateway-catalog-${this.config.FLOWGATE_INSTANCE_ID}-`,
      onRecord: (key, value) => this.apply(key, value),
      onCrash: (error) => this.logger.warn(`route catalog reader crashed (started again): ${error.message}`),
    });
    await this.reader.start();
    await this.reader.caughtUp;
    this.loaded = true;
    this.logger.log(`route catalog read: serving ${this.routes.size} routes (${[...this.routes.keys()].join(', ')})`);
  }

  async stop(): Promise<void> {
    await this.reader?.stop();
  }

  private apply(key: string, value: Buffer | null): void {
    let entry: CatalogEntry | null;
    let checkBody: BodyCheck | undefined;
    try {
      entry = decodeCatalogEntry(key, value);
      if (entry?.route.bodySchema !== undefined) checkBody = this.compiler.compile(entry.route.bodySchema);
    } catch (error) {
      // Processors check what they publish; a record written by hand may still be broken.
      this.metrics.catalogChanges.inc({ change: 'invalid' });
      this.logger.error(`route catalog: record ${key} refused, the route is not served: ${(error as Error).message}`);
      this.replace(key, undefined);
      return;
    }
    const served = entry && { ...entry, topic: routeTopic(entry.route, this.config.FLOWGATE_TOPIC_PREFIX), ...(checkBody ? { checkBody } : {}) };
    const previous = this.replace(key, served ?? undefined);
    const change = entry ? (previous ? 'changed' : 'added') : previous ? 'retired' : undefined;
    if (change === undefined) return;
    this.metrics.catalogChanges.inc({ change });
    if (this.loaded) this.logger.log(`route ${key} ${change}${entry ? ` (job ${entry.job})` : ''}`);
  }

  /** Puts (or, with undefined, removes) a route and forgets the schema of the version it replaces. */
  private replace(key: string, served: ServedRoute | undefined): ServedRoute | undefined {
    const previous = this.routes.get(key);
    if (previous?.route.bodySchema !== undefined) this.compiler.release(previous.route.bodySchema);
    if (served) this.routes.set(key, served);
    else this.routes.delete(key);
    this.metrics.catalogRoutes.set(this.routes.size);
    return previous;
  }
}
