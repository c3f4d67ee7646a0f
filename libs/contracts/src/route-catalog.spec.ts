import { decodeCatalogEntry, encodeCatalogEntry, isValidRouteName, ProtocolError, routeDeclarationErrors, routeTopic, sameCatalogEntry } from './index';

describe('route declarations', () => {
  it.each(['a', 'order-quote', 'v2.orders', '0', 'x'.repeat(64)])('accepts the route name %s', (name) => {
    expect(isValidRouteName(name)).toBe(true);
  });

  it.each(['', 'Order', 'order_quote', 'a/b', 'x'.repeat(65), 'ü'])('refuses the route name %j', (name) => {
    expect(isValidRouteName(name)).toBe(false);
  });

  it('finds nothing wrong with a sound declaration', () => {
    expect(routeDeclarationErrors({ name: 'quote', summary: 'Prices', keyField: 'customer', topic: 'orders', bodySchema: { type: 'object' }, defaultTimeoutMs: 1, maxTimeoutMs: 2 })).toEqual([]);
  });

  it('names every problem of a broken declaration at once', () => {
    const errors = routeDeclarationErrors({
      name: 'quote',
      summary: '',
      topic: 'has space',
      bodySchema: [] as unknown as boolean,
      defaultTimeoutMs: 5_000,
      maxTimeoutMs: 1_000,
      maxBodyBytes: 0,
    });
    expect(errors).toEqual([
      'route quote: summary must be a non-empty string',
      'route quote: topic "has space" must be 1 to 200 characters of A-Z a-z 0-9 . _ -',
      'route quote: bodySchema must be a JSON Schema (an object or a boolean)',
      'route quote: maxBodyBytes must be a whole number of at least 1',
      'route quote: defaultTimeoutMs must not exceed maxTimeoutMs',
    ]);
  });

  it('puts a route without a topic on the shared requests topic, under the prefix', () => {
    expect(routeTopic({}, 'flowgate.')).toBe('flowgate.requests');
    expect(routeTopic({ topic: 'orders' }, 'blue.')).toBe('blue.orders');
  });
});

describe('catalog records', () => {
  const entry = { job: 'pricing', route: { name: 'quote', summary: 'Prices', keyField: 'customer', topic: 'orders' } };

  it('round-trip, and equal entries encode equally whatever the key order', () => {
    expect(decodeCatalogEntry('quote', Buffer.from(encodeCatalogEntry(entry)))).toEqual(entry);
    const reordered = { route: { topic: 'orders', keyField: 'customer', summary: 'Prices', name: 'quote' }, job: 'pricing' };
    expect(encodeCatalogEntry(reordered)).toBe(encodeCatalogEntry(entry));
    expect(sameCatalogEntry(reordered, entry)).toBe(true);
    expect(sameCatalogEntry({ ...entry, route: { ...entry.route, summary: 'Other' } }, entry)).toBe(false);
  });

  it('read a tombstone as a retired route', () => {
    expect(decodeCatalogEntry('quote', null)).toBeNull();
    expect(decodeCatalogEntry('quote', Buffer.alloc(0))).toBeNull();
  });

  it.each([
    ['not JSON', 'quote', '{', /catalog record quote is not JSON/],
    ['no job', 'quote', JSON.stringify({ route: entry.route }), /names no job/],
    ['a broken declaration', 'quote', JSON.stringify({ job: 'j', route: { name: 'quote' } }), /summary must be a non-empty string/],
    ['another route than its key', 'other', encodeCatalogEntry(entry), /catalog record other declares route quote/],
  ])('refuse a record with %s', (_what, key, value, message) => {
    expect(() => decodeCatalogEntry(key, value)).toThrow(ProtocolError);
    expect(() => decodeCatalogEntry(key, value)).toThrow(message);
  });
});
