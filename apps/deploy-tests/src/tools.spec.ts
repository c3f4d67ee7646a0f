import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { K8sObject, kubeStrict, schemaProblem } from './support/manifests';
import { ensureTools, goModuleVersion, INSTALL_TIMEOUT_MS, mustRun, repoRoot, runCommand } from './support/tools';

const script = readFileSync(join(repoRoot, 'tools/helm/install.sh'), 'utf8');
const pinned = (name: string): string => {
  const match = new RegExp(`^${name}=(v[0-9.]+)$`, 'm').exec(script);
  if (!match) throw new Error(`tools/helm/install.sh pins no ${name}`);
  return match[1];
};

describe('tools/helm/install.sh', () => {
  beforeAll(() => ensureTools(), INSTALL_TIMEOUT_MS);

  it('installs the pinned helm and kustomize', () => {
    const { helm, kustomize } = ensureTools();
    expect(goModuleVersion(helm, 'helm.sh/helm/v3')).toBe(pinned('HELM_VERSION'));
    expect(goModuleVersion(kustomize, 'sigs.k8s.io/kustomize/kustomize/v5')).toBe(pinned('KUSTOMIZE_VERSION'));
    // The linker flags of helm's own Makefile: its version, and a current Kubernetes for lint.
    expect(mustRun(helm, ['version', '--template', '{{.Version}}'])).toBe(pinned('HELM_VERSION'));
  });

  it('is a fast no-op once installed', () => {
    const started = Date.now();
    const { status, stdout } = runCommand('bash', [join(repoRoot, 'tools/helm/install.sh')]);
    expect(status).toBe(0);
    expect(stdout.trim()).toMatch(/\/bin$/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('explains itself instead of passing silently when Go is missing', () => {
    const { status, stderr } = runCommand('/bin/bash', [join(repoRoot, 'tools/helm/install.sh')], {
      env: { PATH: '/nonexistent', HOME: process.env.HOME, FLOWGATE_CACHE_DIR: process.env.FLOWGATE_CACHE_DIR },
    });
    expect(status).toBe(1);
    expect(stderr).toContain('go is not on PATH');
  });

  // kube-strict is what makes "valid against the Kubernetes schemas" mean something: it must
  // reject what the API server would.
  it('kube-strict rejects unknown fields and wrong types, and skips only unknown kinds', () => {
    const results = kubeStrict(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: typo}
spec:
  selector: {matchLabels: {a: b}}
  template:
    metadata: {labels: {a: b}}
    spec:
      containers:
        - name: c
          image: i:1.0.0
          readinesProbe: {httpGet: {path: /readyz, port: 80}}
---
apiVersion: v1
kind: Service
metadata: {name: port-as-string}
spec: {ports: [{port: "80"}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: fine}
data: {a: "1"}
---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: crd}
`);
    expect(results.map((r) => [r.name, r.status])).toEqual([
      ['typo', 'error'],
      ['port-as-string', 'error'],
      ['fine', 'ok'],
      ['crd', 'skipped'],
    ]);
    expect(results[0].error).toContain('unknown field "spec.template.spec.containers[0].readinesProbe"');
  });

  it('kubernetes-models rejects wrong types and kinds it has no schema for', () => {
    const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: '80' }] } } as K8sObject;
    expect(schemaProblem(service)).toMatch(/Service\/s: .*port/);
    expect(schemaProblem({ ...service, spec: { ports: [{ port: 80 }] } })).toBeUndefined();
    expect(schemaProblem({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } })).toContain('no schema known');
  });
});
