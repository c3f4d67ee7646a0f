import { matchAdminRoute, parseActivate, parseAuditQuery, parseCanary, parseJsonBody, parseRollback, parseUpload } from './admin-requests';

describe('matchAdminRoute', () => {
  it.each([
    ['GET', '/admin/v1/openapi.json', { route: { action: 'openapi' } }],
    ['GET', '/admin/v1/scripts', { route: { action: 'list' } }],
    ['GET', '/admin/v1/scripts/', { route: { action: 'list' } }],
    ['GET', '/admin/v1/scripts/geo-fence', { route: { action: 'get', name: 'geo-fence' } }],
    ['HEAD', '/admin/v1/scripts/geo-fence', { route: { action: 'get', name: 'geo-fence' } }],
    ['PUT', '/admin/v1/scripts/geo-fence', { route: { action: 'upload', name: 'geo-fence' } }],
    ['DELETE', '/admin/v1/scripts/geo-fence', { route: { action: 'delete', name: 'geo-fence' } }],
    ['GET', '/admin/v1/scripts/geo-fence/versions/12', { route: { action: 'version', name: 'geo-fence', version: 12 } }],
    ['POST', '/admin/v1/scripts/geo-fence/activate', { route: { action: 'activate', name: 'geo-fence' } }],
    ['POST', '/admin/v1/scripts/geo-fence/canary', { route: { action: 'canary', name: 'geo-fence' } }],
    ['POST', '/admin/v1/scripts/geo-fence/promote', { route: { action: 'promote', name: 'geo-fence' } }],
    ['POST', '/admin/v1/scripts/geo-fence/rollback', { route: { action: 'rollback', name: 'geo-fence' } }],
    ['GET', '/admin/v1/audit', { route: { action: 'audit' } }],
    // A name the upload will refuse still reaches the action, so the refusal names the rule.
    ['PUT', '/admin/v1/scripts/Geo%20Fence', { route: { action: 'upload', name: 'Geo Fence' } }],
  ])('%s %s', (method, path, expected) => {
    expect(matchAdminRoute(method, path)).toEqual(expected);
  });

  it('answers 405 with the methods a path takes', () => {
    expect(matchAdminRoute('POST', '/admin/v1/scripts')).toEqual({ allow: 'GET' });
    expect(matchAdminRoute('POST', '/admin/v1/scripts/x')).toEqual({ allow: 'GET, PUT, DELETE' });
    expect(matchAdminRoute('GET', '/admin/v1/scripts/x/activate')).toEqual({ allow: 'POST' });
    expect(matchAdminRoute('DELETE', '/admin/v1/scripts/x/versions/1')).toEqual({ allow: 'GET' });
  });

  it('knows no other path', () => {
    for (const path of ['/admin/v1', '/admin/v1/', '/admin/v1/jobs', '/admin/v1/scripts/x/versions', '/admin/v1/scripts/x/versions/0', '/admin/v1/scripts/x/versions/one',
      '/admin/v1/scripts/x/activate/now', '/admin/v1/scripts//activate', '/admin/v1/scripts/%E0%A4%A', '/admin/v1/audit/x']) {
      expect({ path, match: matchAdminRoute('GET', path) }).toEqual({ path, match: { notFound: true } });
    }
  });
});

describe('request bodies', () => {
  it('reads JSON objects, an empty body as {}', () => {
    expect(parseJsonBody(Buffer.from(''))).toEqual({ ok: true, value: {} });
    expect(parseJsonBody(Buffer.from('{"version":2}'))).toEqual({ ok: true, value: { version: 2 } });
    expect(parseJsonBody(Buffer.from('{"version":'))).toMatchObject({ ok: false, errors: [expect.stringMatching(/^the body is not JSON: /)] });
    expect(parseJsonBody(Buffer.from('[1]'))).toEqual({ ok: false, errors: ['the body must be a JSON object'] });
  });

  it('takes an upload of a source and a manifest and nothing else', () => {
    const manifest = { kind: 'step' };
    expect(parseUpload({ source: 'export default (x) => x', manifest })).toEqual({ ok: true, value: { source: 'export default (x) => x', manifest } });
    expect(parseUpload({ source: ' ', manifest: [], extra: 1 })).toEqual({
      ok: false,
      errors: [
        'unknown field "extra" (expected source, manifest)',
        "source must be a non-empty string (the script's JavaScript module)",
        'manifest must be an object',
      ],
    });
  });

  it('takes a version to activate, and an optional one to roll back to', () => {
    expect(parseActivate({ version: 3 })).toEqual({ ok: true, value: { version: 3 } });
    expect(parseActivate({})).toEqual({ ok: false, errors: ['version is required'] });
    expect(parseActivate({ version: 1.5 })).toEqual({ ok: false, errors: ['version must be a whole number of at least 1'] });
    expect(parseRollback({})).toEqual({ ok: true, value: {} });
    expect(parseRollback({ version: 1 })).toEqual({ ok: true, value: { version: 1 } });
    expect(parseRollback({ version: '1' })).toEqual({ ok: false, errors: ['version must be a whole number of at least 1'] });
  });

  it('fills in the canary defaults and refuses shares outside (0, 1)', () => {
    expect(parseCanary({ version: 2, share: 0.1 })).toEqual({ ok: true, value: { version: 2, share: 0.1, rollbackMargin: 0.05, minCalls: 50 } });
    expect(parseCanary({ version: 2, share: 0.5, rollbackMargin: 0, minCalls: 10, promoteAfter: 500 })).toEqual({
      ok: true,
      value: { version: 2, share: 0.5, rollbackMargin: 0, minCalls: 10, promoteAfter: 500 },
    });
    const refused = parseCanary({ share: 1, rollbackMargin: 2, minCalls: 0, sahre: 0.1 });
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.errors).toEqual([
      'unknown field "sahre" (expected version, share, rollbackMargin, minCalls, promoteAfter)',
      'version is required',
      'minCalls must be a whole number of at least 1',
      'share must be a number between 0 and 1 (exclusive): the part of keys sent to the canary',
      'rollbackMargin must be a number from 0 to 1 (0.05: roll back at 5 points more errors than the stable version)',
    ]);
  });

  it('reads the audit query', () => {
    expect(parseAuditQuery(new URLSearchParams(''))).toEqual({ ok: true, value: { limit: 100 } });
    expect(parseAuditQuery(new URLSearchParams('script=geo&limit=5'))).toEqual({ ok: true, value: { script: 'geo', limit: 5 } });
    expect(parseAuditQuery(new URLSearchParams('limit=0&x=1'))).toEqual({ ok: false, errors: ['unknown query parameter x', 'limit must be a whole number from 1 to 1000'] });
  });
});
