import { Logger } from '@nestjs/common';
import { CatalogEntry, decodeCatalogEntry, encodeCatalogEntry, sameCatalogEntry } from '@flowgate/contracts';
import type { KafkaConnection } from '@flowgate/kafka';

/** Routes this processor declares that the catalog gives to another job. */
export class RouteConflictError extends Error {
  readonly retriable = false;
  constructor(readonly conflicts: string[]) {
    super(`route catalog conflict: ${conflicts.join('; ')}`);
    this.name = 'RouteConflictError';
  }
}

/**
 * The processor's side of the route catalog: read what the catalog holds, refuse routes another
 * job already serves, then publish this processor's declarations (only those that changed, so a
 * restart adds nothing to the topic). Gateways follow the topic and serve what it holds.
 */
export class RoutePublisher {
  private readonly logger = new Logger(RoutePublisher.name);

  constructor(
    private readonly kafka: KafkaConnection,
    private readonly topic: string,
    private readonly groupPrefix: string,
  ) {}

  /**
   * Publishes `entries`, then reads the catalog again: two processors of different jobs that
   * declared one route at the same moment both passed the first check, and the one whose record
   * is not the newest must not serve (gateways serve the newest).
   *
   * @throws RouteConflictError naming each route, the job that has it and the job that declares it.
   */
  async publish(entries: readonly CatalogEntry[]): Promise<void> {
    const catalog = await this.read();
    throwOnConflicts(catalog, entries);
    const changed = entries.filter((entry) => {
      const held = catalog.get(entry.route.name);
      return !held || !sameCatalogEntry(held, entry);
    });
    await Promise.all(changed.map((entry) => this.kafka.send({ topic: this.topic, key: entry.route.name, value: encodeCatalogEntry(entry) })));
    if (changed.length > 0) throwOnConflicts(await this.read(), entries);
    this.logger.log(`route catalog: ${changed.length} of ${entries.length} declarations published (${entries.map((e) => e.route.name).join(', ')})`);
  }

  /** Writes a tombstone for each route the catalog holds; returns the routes it retired. */
  async retire(names: readonly string[]): Promise<string[]> {
    const catalog = await this.read();
    const held = names.filter((name) => catalog.has(name));
    await Promise.all(held.map((name) => this.kafka.send({ topic: this.topic, key: name, value: null })));
    return held;
  }

  /** The catalog as it is now, by route name (malformed records logged and passed over). */
  private async read(): Promise<Map<string, CatalogEntry>> {
    const catalog = new Map<string, CatalogEntry>();
    for (const [key, value] of await this.kafka.readTable(this.topic, this.groupPrefix)) {
      try {
        const entry = decodeCatalogEntry(key, value);
        if (entry) catalog.set(key, entry);
        else catalog.delete(key);
      } catch (error) {
        this.logger.warn(`route catalog: ignoring record ${key}: ${(error as Error).message}`);
      }
    }
    return catalog;
  }
}

/** Refuses the routes of `entries` that `catalog` gives to another job. */
export function throwOnConflicts(catalog: ReadonlyMap<string, CatalogEntry>, entries: readonly CatalogEntry[]): void {
  const conflicts = entries.flatMap(({ job, route }) => {
    const held = catalog.get(route.name);
    if (!held || held.job === job) return [];
    const how = sameCatalogEntry({ ...held, job }, { job, route }) ? 'too' : 'differently';
    return [`route ${route.name} is served by job ${held.job}; job ${job} declares it ${how} (retire it first: processor retire-routes ${route.name})`];
  });
  if (conflicts.length > 0) throw new RouteConflictError(conflicts);
}
