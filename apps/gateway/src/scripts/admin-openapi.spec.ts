import { ADMIN_PROBLEMS } from './admin-problem';
import { adminOpenApiDocument } from './admin-openapi';
import { matchAdminRoute } from './admin-requests';

type Operations = Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>;

describe('adminOpenApiDocument', () => {
  const paths = adminOpenApiDocument().paths as Operations;

  it('documents exactly the operations the admin API routes', () => {
    for (const [path, operations] of Object.entries(paths)) {
      const concrete = path.replace('{name}', 'geo-fence').replace('{version}', '3');
      for (const method of Object.keys(operations)) expect({ path, method, match: 'route' in matchAdminRoute(method.toUpperCase(), concrete) }).toEqual({ path, method, match: true });
    }
    expect(Object.values(paths).reduce((n, ops) => n + Object.keys(ops).length, 0)).toBe(11);
  });

  it('answers every call\'s refusals as problem+json: 401 without the token, 503 while loading, 500 when a write fails', () => {
    for (const operations of Object.values(paths)) {
      for (const { responses } of Object.values(operations)) {
        for (const status of ['401', '500', '503']) expect(Object.keys(responses[status]!.content!)).toEqual(['application/problem+json']);
      }
    }
    expect(paths['/admin/v1/scripts/{name}']!.put!.responses['422']).toBeDefined();
    expect(paths['/admin/v1/scripts/{name}/canary']!.post!.responses['409']).toBeDefined();
    expect(ADMIN_PROBLEMS.scriptsLoading.status).toBe(503);
  });
});
