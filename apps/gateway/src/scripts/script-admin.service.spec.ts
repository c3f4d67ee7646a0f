import { catalogEntryOf, scriptJob } from './script-admin.service';

describe('catalogEntryOf', () => {
  it('declares the route a route script serves: named after the script, on the shared requests topic, served by job script:<name>', () => {
    const route = { summary: 'Greets', keyField: 'name', bodySchema: { type: 'object' } };
    expect(catalogEntryOf({ name: 'greeter', manifest: { kind: 'route', route } })).toEqual({ job: 'script:greeter', route: { ...route, name: 'greeter' } });
    expect(scriptJob('greeter')).toBe('script:greeter');
  });

  it('never lets the manifest rename the route or move it to another topic', () => {
    const route = { summary: 'Greets', name: 'other', topic: 'elsewhere' } as unknown as { summary: string };
    expect(catalogEntryOf({ name: 'greeter', manifest: { kind: 'route', route } }).route).toEqual({ summary: 'Greets', name: 'greeter' });
  });

  it('gives a route without a declaration a summary, which the catalog requires', () => {
    expect(catalogEntryOf({ name: 'greeter', manifest: { kind: 'route' } }).route).toEqual({ summary: 'Script greeter', name: 'greeter' });
  });
});
