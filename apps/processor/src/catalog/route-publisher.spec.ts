import type { CatalogEntry } from '@flowgate/contracts';
import { RouteConflictError, throwOnConflicts } from './route-publisher';

const quote = (job: string, summary = 'Prices an order'): CatalogEntry => ({ job, route: { name: 'order-quote', summary, topic: 'orders' } });
const catalogOf = (...entries: CatalogEntry[]) => new Map(entries.map((e) => [e.route.name, e]));

describe('throwOnConflicts', () => {
  it('lets a job declare new routes, and change its own', () => {
    expect(() => throwOnConflicts(catalogOf(), [quote('pricing')])).not.toThrow();
    expect(() => throwOnConflicts(catalogOf(quote('pricing')), [quote('pricing', 'Prices an order, v2')])).not.toThrow();
  });

  it('refuses a route another job serves, naming both jobs and how it differs', () => {
    expect(() => throwOnConflicts(catalogOf(quote('pricing')), [quote('rival', 'Prices differently')])).toThrow(
      new RouteConflictError(['route order-quote is served by job pricing; job rival declares it differently (retire it first: processor retire-routes order-quote)']),
    );
    expect(() => throwOnConflicts(catalogOf(quote('pricing')), [quote('rival')])).toThrow(/job rival declares it too/);
  });

  it('decides a race by the newest record: the processor whose record was overwritten refuses', () => {
    // Both passed the first check on an empty catalog and published; `rival` wrote last.
    const afterBoth = catalogOf(quote('rival'));
    expect(() => throwOnConflicts(afterBoth, [quote('pricing')])).toThrow(RouteConflictError);
    expect(() => throwOnConflicts(afterBoth, [quote('rival')])).not.toThrow();
  });
});
