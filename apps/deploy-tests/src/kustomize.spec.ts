import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { appConfigs, networkProblems, podProblems, replySlotProblems, scaledObjectProblems, schemaProblems, topicsJobProblems } from './support/checks';
import { containerEnv, K8sObject, kustomizeBuildText, named, ofKind, parseManifests, workloads } from './support/manifests';
import { ensureTools, INSTALL_TIMEOUT_MS, repoRoot } from './support/tools';

/** The Helm chart's defaults: the kustomize base deploys the same flowgate. */
const CHART_DEFAULTS = parse(readFileSync(join(repoRoot, 'helm/flowgate/values.yaml'), 'utf8')) as {
  processor: { jobs: string };
  gateway: { eventRoute: string };
};

const builds = [
  { dir: 'k8s/base', namespace: undefined, keda: { maxReplicaCount: 8 } },
  { dir: 'k8s/overlays/dev', namespace: 'flowgate-dev', keda: { maxReplicaCount: 2 } },
  { dir: 'k8s/overlays/prod', namespace: 'flowgate', keda: { maxReplicaCount: 8 } },
];

describe('k8s/ (kustomize)', () => {
  beforeAll(() => ensureTools(), INSTALL_TIMEOUT_MS);

  describe.each(builds)('$dir', ({ dir, namespace, keda }) => {
    let text: string;
    let objects: K8sObject[];
    beforeAll(() => {
      text = kustomizeBuildText(join(repoRoot, dir));
      objects = parseManifests(text);
    });

    it('builds into objects valid against the Kubernetes schemas', () => {
      expect(objects.length).toBeGreaterThan(10);
      expect(schemaProblems(objects, text)).toEqual([]);
    });

    it('runs every container hardened, with probes, resources and a grace period past the longest deadline', () => {
      expect(podProblems(objects)).toEqual([]);
    });

    it('gives each app an environment its own config reader accepts', () => {
      const configs = appConfigs(objects);
      expect(Object.keys(configs).sort()).toEqual(['gateway', 'processor', 'sweeper']);
      expect(configs.processor.FLOWGATE_TOPIC_PREFIX).toBe('flowgate.');
    });

    it('exposes only the gateway and lets pods reach only DNS, Kafka and Redis', () => {
      expect(networkProblems(objects)).toEqual([]);
    });

    it('scales processors with KEDA on the lag of flowgate.processor over flowgate.requests', () => {
      expect(scaledObjectProblems(objects, keda)).toEqual([]);
      const [scaled] = ofKind(objects, 'ScaledObject');
      expect(scaled.spec.triggers[0].metadata).toMatchObject({ consumerGroup: 'flowgate.processor', topic: 'flowgate.requests' });
    });

    it('scales gateways with an HPA that stays within the reply partitions', () => {
      const [hpa] = ofKind(objects, 'HorizontalPodAutoscaler');
      expect(hpa.spec.scaleTargetRef.name).toBe('flowgate-gateway');
      expect(replySlotProblems(objects)).toEqual([]);
    });

    it('has a disruption budget for every Deployment', () => {
      const budgets = ofKind(objects, 'PodDisruptionBudget');
      for (const deployment of ofKind(objects, 'Deployment')) {
        const labels = deployment.spec.template.metadata.labels;
        const covering = budgets.filter((b) => Object.entries(b.spec.selector.matchLabels).every(([k, v]) => labels[k] === v));
        expect({ deployment: deployment.metadata.name, budgets: covering.length }).toEqual({ deployment: deployment.metadata.name, budgets: 1 });
      }
    });

    it('runs the chart\'s default jobs and serves POST /event with the chart\'s default route', () => {
      const env = (app: string) => containerEnv(named(objects, 'Deployment', `flowgate-${app}`).spec.template.spec.containers[0], objects);
      expect(env('processor').FLOWGATE_JOBS).toBe(CHART_DEFAULTS.processor.jobs);
      expect(env('gateway').FLOWGATE_EVENT_ROUTE).toBe(CHART_DEFAULTS.gateway.eventRoute);
    });

    it('ships only placeholder secrets', () => {
      for (const secret of ofKind(objects, 'Secret')) {
        for (const value of Object.values<string>(secret.stringData ?? {})) expect(value).toContain('REPLACE_ME');
        expect(secret.data).toBeUndefined();
      }
    });

    it('creates the topics with the processor\'s ensure-topics mode, in its image, with its environment', () => {
      expect(ofKind(objects, 'Job')).toHaveLength(1);
      expect(topicsJobProblems(objects)).toEqual([]);
    });

    if (namespace) {
      it(`puts everything into namespace ${namespace}, which enforces the restricted Pod Security Standard`, () => {
        const ns = named(objects, 'Namespace', namespace);
        expect(ns.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
        for (const object of objects.filter((o) => o.kind !== 'Namespace')) expect(`${object.kind}/${object.metadata.name} in ${object.metadata.namespace}`).toBe(`${object.kind}/${object.metadata.name} in ${namespace}`);
      });
    }
  });

  it('prod runs release images by version, three gateways spread over zones', () => {
    const objects = parseManifests(kustomizeBuildText(join(repoRoot, 'k8s/overlays/prod')));
    for (const workload of workloads(objects)) {
      expect(workload.spec.template.spec.containers[0].image).toMatch(/^registry\.example\.com\/flowgate\/flowgate-(gateway|processor|sweeper):\d+\.\d+\.\d+$/);
    }
    const gateway = named(objects, 'Deployment', 'flowgate-gateway');
    expect(gateway.spec.replicas).toBe(3);
    expect(gateway.spec.template.spec.topologySpreadConstraints[0].topologyKey).toBe('topology.kubernetes.io/zone');
  });
});
