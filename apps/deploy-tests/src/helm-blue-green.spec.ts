import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { appConfigs, schemaProblems } from './support/checks';
import {
  chartDir,
  helmTemplate,
  helmTemplateFailure,
  helmTemplateText,
  K8sObject,
  ofKind,
  parseManifests,
  podLabels,
  renderNotes,
  serviceSelects,
  workloads,
} from './support/manifests';
import { ensureTools, INSTALL_TIMEOUT_MS, mustRun } from './support/tools';

const ROUTER = chartDir('flowgate-router');
const routerCiFiles = readdirSync(join(ROUTER, 'ci')).filter((f) => f.endsWith('-values.yaml')).sort();

const colour = (name: 'blue' | 'green', set: Record<string, string | number | boolean> = {}): K8sObject[] =>
  helmTemplate('flowgate', { release: `flowgate-${name}`, set: { colour: name, ...set } });
const router = (activeColour: 'blue' | 'green'): K8sObject =>
  ofKind(helmTemplate('flowgate-router', { release: 'flowgate-router', set: { activeColour } }), 'Service')[0];

describe('blue/green: two flowgate releases and the router', () => {
  let blue: K8sObject[];
  let green: K8sObject[];
  beforeAll(() => {
    ensureTools();
    const autoscaled = { 'processor.autoscaling.enabled': true };
    blue = colour('blue', autoscaled);
    green = colour('green', autoscaled);
  }, INSTALL_TIMEOUT_MS);

  it('gives each colour its own topic prefix, consumer group and Redis keys', () => {
    const prefixes = [blue, green].map((objects) => {
      const configs = appConfigs(objects);
      const prefixes = new Set(Object.values(configs).map((c) => c.FLOWGATE_TOPIC_PREFIX));
      expect(prefixes.size).toBe(1); // gateway, processor and sweeper of a colour agree
      return [...prefixes][0];
    });
    expect(prefixes).toEqual(['flowgate.blue.', 'flowgate.green.']);
    const triggers = [blue, green].map((objects) => ofKind(objects, 'ScaledObject')[0].spec.triggers[0].metadata);
    expect(triggers.map((m) => [m.consumerGroup, m.topic])).toEqual([
      ['flowgate.blue.processor', 'flowgate.blue.requests'],
      ['flowgate.green.processor', 'flowgate.green.requests'],
    ]);
  });

  it('lets both colours live in one namespace: no object name is used twice', () => {
    const names = (objects: K8sObject[]) => objects.map((o) => `${o.kind}/${o.metadata.name}`);
    const shared = names(blue).filter((name) => names(green).includes(name));
    expect(shared).toEqual([]);
  });

  it('keeps each release\'s selectors to its own pods', () => {
    const pods = [...workloads(blue), ...workloads(green)];
    for (const deployment of ofKind([...blue, ...green], 'Deployment')) {
      const matching = pods.filter((w) => Object.entries(deployment.spec.selector.matchLabels).every(([k, v]) => podLabels(w)[k] === v));
      expect(matching.map((w) => w.metadata.name)).toEqual([deployment.metadata.name]);
    }
  });

  it.each(['blue', 'green'] as const)('router with activeColour=%s sends traffic to that colour\'s gateways only', (active) => {
    const service = router(active);
    expect(service.spec.selector).toEqual({ 'app.kubernetes.io/name': 'flowgate-gateway', 'flowgate.io/colour': active });
    const reached = [...workloads(blue), ...workloads(green)].filter((w) => serviceSelects(service, podLabels(w)));
    expect(reached.map((w) => w.metadata.name)).toEqual([`flowgate-${active}-gateway`]);
    const gatewayPorts = reached[0].spec.template.spec.containers[0].ports.map((p: K8sObject) => p.name);
    expect(gatewayPorts).toContain(service.spec.ports[0].targetPort);
  });

  it('switching colours changes only the selector, never the Service\'s name or port', () => {
    const [before, after] = [router('blue'), router('green')];
    expect(after.metadata.name).toBe(before.metadata.name);
    expect(after.spec.ports).toEqual(before.spec.ports);
    expect(after.spec.selector['flowgate.io/colour']).toBe('green');
    expect(before.spec.selector['flowgate.io/colour']).toBe('blue');
  });

  it('an explicit topicPrefix wins over the colour default', () => {
    expect(appConfigs(colour('green', { topicPrefix: 'flowgate.' })).processor.FLOWGATE_TOPIC_PREFIX).toBe('flowgate.');
  });
});

describe('helm/flowgate-router', () => {
  beforeAll(() => ensureTools(), INSTALL_TIMEOUT_MS);

  it.each([['defaults', []], ...routerCiFiles.map((f) => [f, [join(ROUTER, 'ci', f)]])] as [string, string[]][])(
    '%s: lints strictly and renders one valid Service',
    (_name, valuesFiles) => {
      expect(mustRun(ensureTools().helm, ['lint', '--strict', ROUTER, ...valuesFiles.flatMap((f) => ['--values', f])])).toContain('0 chart(s) failed');
      const text = helmTemplateText('flowgate-router', { release: 'flowgate-router', valuesFiles });
      const objects = parseManifests(text);
      expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Service/flowgate-router']);
      expect(schemaProblems(objects, text)).toEqual([]);
    },
  );

  it('refuses a colour that is neither blue nor green', () => {
    const { status, stderr } = helmTemplateFailure('flowgate-router', { release: 'flowgate-router', set: { activeColour: 'purple' } });
    expect(status).not.toBe(0);
    expect(stderr).toContain("value must be one of 'blue', 'green'");
  });

  it('NOTES.txt shows how to reach the entry and how to switch to the other colour', () => {
    const notes = renderNotes('flowgate-router', { release: 'flowgate-router', namespace: 'shop', set: { activeColour: 'blue' } });
    expect(notes).toContain('kubectl --namespace shop port-forward service/flowgate-router 8080:80');
    expect(notes).toContain("curl -s -X POST localhost:8080/v1/echo -H 'content-type: application/json'");
    expect(notes).toContain('helm upgrade flowgate-router helm/flowgate-router --namespace shop --reuse-values --set activeColour=green');
  });
});
