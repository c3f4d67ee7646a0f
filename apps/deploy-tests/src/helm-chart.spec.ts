import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, stringify, YAMLMap } from 'yaml';
import { CONSOLE_ENV, GATEWAY_ENV, PROCESSOR_ENV, redisSentinel, SWEEPER_ENV } from '@flowgate/config';
import { appConfigs, networkProblems, podProblems, replySlotProblems, scaledObjectProblems, schemaProblems, topicsJobProblems } from './support/checks';
import {
  chartDir,
  containerEnv,
  helmTemplate,
  helmTemplateFailure,
  helmTemplateText,
  K8sObject,
  named,
  ofKind,
  parseManifests,
  renderNotes,
  workloads,
} from './support/manifests';
import { ENSURE_TOPICS } from './support/topics-job';
import { ensureTools, INSTALL_TIMEOUT_MS, mustRun } from './support/tools';

const CHART = chartDir('flowgate');
const ciFiles = readdirSync(join(CHART, 'ci')).filter((f) => f.endsWith('-values.yaml')).sort();
/** Every way the chart is meant to be used: its defaults and one file per feature flag. */
const variants: [string, string[]][] = [['defaults', []], ...ciFiles.map((f): [string, string[]] => [f, [join(CHART, 'ci', f)]])];

/** Values of the existing Secrets that ci/tls-sasl-values.yaml and ci/admin-api-values.yaml refer to. */
const EXISTING_SECRETS = {
  'flowgate-redis/url': 'rediss://:s3cret@redis.example:6380',
  'flowgate-kafka-credentials/password': 's3cret',
  // ci/per-app-users-values.yaml: a Kafka password and a Redis URL per app.
  ...Object.fromEntries(['gateway', 'processor', 'sweeper', 'console'].flatMap((app) => [
    [`flowgate-kafka-${app}/password`, `${app}-kafka-pw`],
    [`flowgate-redis-${app}/url`, `rediss://${app}:${app}-redis-pw@redis.example:6380`],
  ])),
  'flowgate-admin/admin-token': 'admin-token-from-a-secret',
};

const render = (valuesFiles: string[] = [], set: Record<string, string | number | boolean> = {}): K8sObject[] =>
  helmTemplate('flowgate', { release: 'flowgate-blue', valuesFiles, set });

/** The environment of one app's container in the rendered release. */
const appEnv = (objects: K8sObject[], app: string): Record<string, string> =>
  containerEnv(named(objects, 'Deployment', `flowgate-blue-${app}`).spec.template.spec.containers[0], objects);

describe('helm/flowgate', () => {
  beforeAll(() => ensureTools(), INSTALL_TIMEOUT_MS);

  it('has a ci/*-values.yaml for each feature flag', () => {
    expect(ciFiles).toEqual(
      expect.arrayContaining([
        'autoscaling-values.yaml',
        'servicemonitor-values.yaml',
        'networkpolicy-values.yaml',
        'tls-sasl-values.yaml',
        'green-values.yaml',
        'dashboards-values.yaml',
        'prometheusrule-values.yaml',
        'no-event-route-values.yaml',
        'redis-sentinel-values.yaml',
      ]),
    );
  });

  describe.each(variants)('with %s', (_name, valuesFiles) => {
    let text: string;
    let objects: K8sObject[];
    beforeAll(() => {
      text = helmTemplateText('flowgate', { release: 'flowgate-blue', valuesFiles });
      objects = parseManifests(text);
    });

    it('passes helm lint --strict', () => {
      const args = ['lint', '--strict', CHART, ...valuesFiles.flatMap((f) => ['--values', f])];
      expect(mustRun(ensureTools().helm, args)).toContain('0 chart(s) failed');
    });

    it('renders only objects valid against the Kubernetes schemas', () => {
      expect(objects.length).toBeGreaterThan(5);
      expect(schemaProblems(objects, text)).toEqual([]);
    });

    it('runs every container hardened, with probes, resources and a grace period past the longest deadline', () => {
      expect(podProblems(objects, EXISTING_SECRETS)).toEqual([]);
    });

    it('gives each app an environment its own config reader accepts', () => {
      const configs = appConfigs(objects, EXISTING_SECRETS);
      const consoleOn = valuesFiles.some((f) => f.endsWith('console-values.yaml'));
      expect(Object.keys(configs).sort()).toEqual([...(consoleOn ? ['console'] : []), 'gateway', 'processor', 'sweeper']);
    });

    it('never runs more gateways than reply partitions', () => {
      expect(replySlotProblems(objects, EXISTING_SECRETS)).toEqual([]);
    });

    it('runs the topics Job (if any) as the processor\'s ensure-topics mode, in its image, with its environment', () => {
      expect(topicsJobProblems(objects, EXISTING_SECRETS)).toEqual([]);
    });
  });

  describe('defaults', () => {
    let objects: K8sObject[];
    beforeAll(() => {
      objects = render();
    });

    it('turn the optional features off and keep the disruption budgets and the topics Job', () => {
      const kinds = new Set(objects.map((o) => o.kind));
      for (const off of ['HorizontalPodAutoscaler', 'ScaledObject', 'ServiceMonitor', 'NetworkPolicy', 'PrometheusRule']) expect(kinds).not.toContain(off);
      expect(objects.some((o) => o.metadata.name.endsWith('-dashboards'))).toBe(false);
      expect(ofKind(objects, 'PodDisruptionBudget').map((p) => p.metadata.name).sort()).toEqual([
        'flowgate-blue-gateway',
        'flowgate-blue-processor',
        'flowgate-blue-sweeper',
      ]);
      expect(ofKind(objects, 'Job')).toHaveLength(1);
    });

    it('set every variable the apps read, except the ones left to their defaults on purpose', () => {
      // FLOWGATE_GATEWAY_HOST: 0.0.0.0 is what a pod needs. FLOWGATE_REPLY_PARTITION: gateways
      // lease reply partitions in Redis rather than being pinned to one. KAFKA_SSL and KAFKA_SASL_*:
      // set only when kafka.tls / kafka.sasl are enabled (ci/tls-sasl-values.yaml).
      // FLOWGATE_FAILPOINT: a crash switch for tests, never for a deployment. FLOWGATE_ADMIN_HOST:
      // 0.0.0.0 as well. The API-key and JWT settings: set only in their mode (the gateway refuses
      // the settings of a mode it does not run; ci/auth-*-values.yaml); the chart takes the JWT
      // keys from a URL, not a file. FLOWGATE_ADMIN_TOKEN: only with gateway.admin (the admin API is
      // off by default; ci/admin-api-values.yaml).
      const leftToDefaults = new Set([
        'FLOWGATE_ADMIN_TOKEN',
        'FLOWGATE_FAILPOINT',
        'FLOWGATE_ROUTE_SCRIPTS', // on unless a processor runs other jobs than its group: processor.extraEnv
        'FLOWGATE_GATEWAY_HOST',
        'FLOWGATE_ADMIN_HOST',
        'FLOWGATE_API_KEYS_FILE', 'FLOWGATE_API_KEY_HEADER', 'FLOWGATE_API_KEYS_RELOAD_MS',
        'FLOWGATE_JWT_JWKS_URL', 'FLOWGATE_JWT_JWKS_FILE', 'FLOWGATE_JWT_ISSUER', 'FLOWGATE_JWT_AUDIENCE',
        'FLOWGATE_JWT_CALLER_CLAIM', 'FLOWGATE_JWT_CLOCK_SKEW_S', 'FLOWGATE_JWT_ALGORITHMS',
        'FLOWGATE_REPLY_PARTITION',
        'KAFKA_SSL',
        'KAFKA_SASL_MECHANISM',
        'KAFKA_SASL_USERNAME',
        'KAFKA_SASL_PASSWORD',
      ]);
      const specs = { gateway: GATEWAY_ENV, processor: PROCESSOR_ENV, sweeper: SWEEPER_ENV };
      for (const deployment of ofKind(objects, 'Deployment')) {
        const container = deployment.spec.template.spec.containers[0];
        const env = containerEnv(container, objects);
        const unset = Object.keys(specs[container.name as keyof typeof specs]).filter((name) => !(name in env) && !leftToDefaults.has(name));
        expect({ app: container.name, unset }).toEqual({ app: container.name, unset: [] });
      }
    });

    it('run the demo jobs the image ships and serve POST /event with the echo route', () => {
      expect(appEnv(objects, 'processor').FLOWGATE_JOBS).toBe('dist/examples/demo.js');
      expect(appEnv(objects, 'gateway').FLOWGATE_EVENT_ROUTE).toBe('echo');
    });

    it('point the apps at Redis Sentinels only when redis.sentinels lists them', () => {
      expect(redisSentinel(appConfigs(objects).gateway as Parameters<typeof redisSentinel>[0])).toBeUndefined();
      const configs = appConfigs(render([join(CHART, 'ci/redis-sentinel-values.yaml')]), EXISTING_SECRETS);
      for (const app of ['gateway', 'processor', 'sweeper']) {
        expect({ app, sentinel: redisSentinel(configs[app] as Parameters<typeof redisSentinel>[0]) }).toEqual({
          app,
          sentinel: { sentinels: [0, 1, 2].map((i) => `redis-sentinel-${i}.redis-sentinel.redis:26379`), masterName: 'flowgate' },
        });
      }
    });

    it('give the colour its own topic prefix', () => {
      expect(appConfigs(objects).processor.FLOWGATE_TOPIC_PREFIX).toBe('flowgate.blue.');
    });

    it('run the topics Job as the processor\'s ensure-topics mode, with this colour\'s topics and partition counts', () => {
      const [job] = ofKind(objects, 'Job');
      expect(job.metadata.name).toBe('flowgate-blue-topics-r1');
      expect(job.spec.template.spec.containers[0].command).toEqual([...ENSURE_TOPICS]);
      const env = containerEnv(job.spec.template.spec.containers[0], objects);
      expect(env).toMatchObject({ FLOWGATE_TOPIC_PREFIX: 'flowgate.blue.', FLOWGATE_REQUEST_PARTITIONS: '8', FLOWGATE_REPLY_PARTITIONS: '16' });
      expect(env.REDIS_URL).toBeUndefined();
      expect(ofKind(objects, 'ConfigMap').map((c) => c.metadata.name)).toEqual(['flowgate-blue-config']);
    });

    it('give the topics Job the processor\'s extra environment too', () => {
      const objects = render([], { 'processor.extraEnv[0].name': 'KAFKA_SASL_USERNAME', 'processor.extraEnv[0].value': 'from-extra-env' });
      const [job] = ofKind(objects, 'Job');
      expect(containerEnv(job.spec.template.spec.containers[0], objects).KAFKA_SASL_USERNAME).toBe('from-extra-env');
      expect(topicsJobProblems(objects)).toEqual([]);
    });

    it('NOTES.txt tells how to reach the gateway', () => {
      const notes = renderNotes('flowgate', { release: 'flowgate-blue', namespace: 'shop' });
      const service = named(objects, 'Service', 'flowgate-blue-gateway');
      expect(notes).toContain(`kubectl --namespace shop port-forward service/${service.metadata.name} 8080:${service.spec.ports[0].port}`);
      expect(notes).toMatch(/curl -s -X POST localhost:8080\/v1\/echo/);
      expect(notes).toMatch(/curl -s -X POST localhost:8080\/event .*# route echo/);
      expect(notes).toContain('helm upgrade flowgate-router helm/flowgate-router');
      expect(notes).toContain('port-forward deployment/flowgate-blue-gateway 9100:9100');
      expect(notes).toContain('FLOWGATE_AUTH=none');
      const withKeys = renderNotes('flowgate', { release: 'flowgate-blue', valuesFiles: [join(CHART, 'ci/auth-api-key-values.yaml')] });
      expect(withKeys).toMatch(/v1\/echo .*-H "authorization: Bearer \$CREDENTIAL"/);
    });
  });

  describe('feature flags', () => {
    it('autoscaling: an HPA for the gateways and a KEDA ScaledObject on the processors\' consumer lag', () => {
      const objects = render([join(CHART, 'ci/autoscaling-values.yaml')]);
      const [hpa] = ofKind(objects, 'HorizontalPodAutoscaler');
      expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'flowgate-blue-gateway' });
      expect(named(objects, 'Deployment', 'flowgate-blue-gateway').spec.replicas).toBeUndefined();
      expect(scaledObjectProblems(objects, { maxReplicaCount: 8 })).toEqual([]);
      const [scaled] = ofKind(objects, 'ScaledObject');
      expect(scaled.spec.triggers[0].metadata).toMatchObject({
        consumerGroup: 'flowgate.blue.processor',
        topic: 'flowgate.blue.requests',
        lagThreshold: '50',
      });
      expect(scaled.spec.triggers[0].authenticationRef).toBeUndefined();
    });

    it('autoscaling: KEDA follows the request partition count', () => {
      const objects = render([join(CHART, 'ci/autoscaling-values.yaml')], { 'kafka.requestPartitions': 12 });
      expect(ofKind(objects, 'ScaledObject')[0].spec.maxReplicaCount).toBe(12);
    });

    it('networkpolicy: only the gateway is reachable, and every pod talks only to DNS, Kafka and Redis', () => {
      const objects = render([join(CHART, 'ci/networkpolicy-values.yaml')]);
      expect(networkProblems(objects)).toEqual([]);
      const egress = named(objects, 'NetworkPolicy', 'flowgate-blue-default').spec.egress;
      expect(egress).toContainEqual(expect.objectContaining({ to: [{ ipBlock: { cidr: '10.20.0.0/24' } }] }));
    });

    it('networkpolicy: scriptEgress opens the processors (only) to the hosts scripts may call', () => {
      expect(ofKind(render([join(CHART, 'ci/networkpolicy-values.yaml')]), 'NetworkPolicy').map((p) => p.metadata.name)).not.toContain('flowgate-blue-script-egress');
      const objects = render([join(CHART, 'ci/networkpolicy-values.yaml')], {
        'networkPolicy.scriptEgress[0].to[0].ipBlock.cidr': '203.0.113.0/24',
        'networkPolicy.scriptEgress[0].ports[0].port': 443,
      });
      const policy = named(objects, 'NetworkPolicy', 'flowgate-blue-script-egress');
      expect(policy.spec.podSelector.matchLabels).toEqual(named(objects, 'Deployment', 'flowgate-blue-processor').spec.selector.matchLabels);
      expect(policy.spec.policyTypes).toEqual(['Egress']);
      expect(policy.spec.egress).toEqual([{ to: [{ ipBlock: { cidr: '203.0.113.0/24' } }], ports: [{ port: 443 }] }]);
      // The one egress beyond DNS, Kafka and Redis is the one asked for, and only for processors.
      expect(networkProblems(objects)).toEqual(['Deployment/flowgate-blue-processor: flowgate-blue-script-egress allows egress to port 443']);
    });

    it('networkpolicy: gatewayFrom narrows who reaches the gateway and keeps Prometheus scraping', () => {
      const objects = render([join(CHART, 'ci/networkpolicy-values.yaml')], {
        'networkPolicy.gatewayFrom[0].namespaceSelector.matchLabels.ingress': 'true',
      });
      const rules = named(objects, 'NetworkPolicy', 'flowgate-blue-gateway').spec.ingress;
      expect(rules.every((r: K8sObject) => r.from?.length > 0)).toBe(true);
      expect(rules.flatMap((r: K8sObject) => r.from)).toContainEqual(expect.objectContaining({ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } }));
    });

    it('servicemonitor: one per component, each selecting its Service by a port name the Service has', () => {
      const objects = render([join(CHART, 'ci/servicemonitor-values.yaml')]);
      const monitors = ofKind(objects, 'ServiceMonitor');
      expect(monitors.map((m) => m.metadata.name).sort()).toEqual(['flowgate-blue-gateway', 'flowgate-blue-processor', 'flowgate-blue-sweeper']);
      for (const monitor of monitors) {
        expect(monitor.metadata.labels?.release).toBe('kube-prometheus-stack');
        const services = ofKind(objects, 'Service').filter((s) =>
          Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) => s.metadata.labels?.[k] === v),
        );
        // The gateway is scraped on its internal port, through a Service of its own.
        const gateway = monitor.metadata.name === 'flowgate-blue-gateway';
        expect(services.map((s) => s.metadata.name)).toEqual([gateway ? 'flowgate-blue-gateway-admin' : monitor.metadata.name]);
        if (gateway) {
          // The series keep job="flowgate-blue-gateway", which the alerts and dashboards group by.
          expect(services[0].metadata.labels?.[monitor.spec.jobLabel]).toBe('flowgate-blue-gateway');
          expect(services[0].spec.ports).toEqual([expect.objectContaining({ name: 'admin', port: 9100, targetPort: 'admin' })]);
        }
        const portNames = services[0].spec.ports.map((p: K8sObject) => p.name);
        expect(monitor.spec.endpoints).toEqual([expect.objectContaining({ path: '/metrics', interval: '15s' })]);
        expect(portNames).toContain(monitor.spec.endpoints[0].port);
      }
    });

    it('exposes only the public port in the gateway Service; the internal port is reached by Prometheus alone', () => {
      const objects = render([join(CHART, 'ci/networkpolicy-values.yaml'), join(CHART, 'ci/servicemonitor-values.yaml')]);
      expect(named(objects, 'Service', 'flowgate-blue-gateway').spec.ports.map((p: K8sObject) => p.name)).toEqual(['http']);
      const gateway = named(objects, 'Deployment', 'flowgate-blue-gateway').spec.template.spec.containers[0];
      expect(gateway.ports.map((p: K8sObject) => [p.name, p.containerPort])).toEqual([['http', 8080], ['admin', 9100]]);
      expect(appEnv(objects, 'gateway').FLOWGATE_ADMIN_PORT).toBe('9100');
      // The probes stay on the port that takes the traffic.
      expect([gateway.readinessProbe.httpGet.port, gateway.livenessProbe.httpGet.port]).toEqual(['http', 'http']);
      const rules = named(objects, 'NetworkPolicy', 'flowgate-blue-gateway').spec.ingress;
      const toAdmin = rules.filter((r: K8sObject) => r.ports.some((p: K8sObject) => p.port === 9100));
      expect(toAdmin).toEqual([{ ports: [{ protocol: 'TCP', port: 9100 }], from: [expect.objectContaining({ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } })] }]);
      expect(networkProblems(objects)).toEqual([]);
      expect(helmTemplateFailure('flowgate', { release: 'flowgate-blue', set: { 'gateway.adminPort': 8080 } }).stderr).toMatch(/gateway.adminPort must differ from gateway.port/);
    });

    it('auth-api-key: the key file from an existing Secret, mounted as a directory so updates arrive without a restart', () => {
      const objects = render([join(CHART, 'ci/auth-api-key-values.yaml')]);
      const pod = named(objects, 'Deployment', 'flowgate-blue-gateway').spec.template.spec;
      const env = appEnv(objects, 'gateway');
      expect(env).toMatchObject({ FLOWGATE_AUTH: 'api-key', FLOWGATE_API_KEYS_FILE: '/etc/flowgate/api-keys/api-keys', FLOWGATE_API_KEY_HEADER: 'authorization' });
      const volume = pod.volumes.find((v: K8sObject) => v.secret?.secretName === 'flowgate-api-keys');
      const mount = pod.containers[0].volumeMounts.find((m: K8sObject) => m.name === volume.name);
      expect(mount).toEqual({ name: volume.name, mountPath: '/etc/flowgate/api-keys', readOnly: true });
      expect(mount).not.toHaveProperty('subPath');
      // Gateway settings only: the processors and sweepers have nothing to authenticate.
      expect(appEnv(objects, 'processor')).not.toHaveProperty('FLOWGATE_AUTH');
      expect(helmTemplateFailure('flowgate', { release: 'flowgate-blue', set: { 'gateway.auth.mode': 'api-key' } }).stderr).toMatch(/needs gateway.auth.apiKey.existingSecret/);
    });

    it('admin-api: the admin token reaches the gateway alone, from an existing Secret or the chart\'s; none, the API is off', () => {
      const objects = render([join(CHART, 'ci/admin-api-values.yaml')]);
      expect(containerEnv(named(objects, 'Deployment', 'flowgate-blue-gateway').spec.template.spec.containers[0], objects, EXISTING_SECRETS).FLOWGATE_ADMIN_TOKEN)
        .toBe('admin-token-from-a-secret');
      expect(appEnv(objects, 'processor')).not.toHaveProperty('FLOWGATE_ADMIN_TOKEN');
      const stored = render([], { 'gateway.admin.token': 'a-token-the-chart-stores' });
      expect(appEnv(stored, 'gateway').FLOWGATE_ADMIN_TOKEN).toBe('a-token-the-chart-stores');
      expect(named(stored, 'ConfigMap', 'flowgate-blue-config').data).not.toHaveProperty('FLOWGATE_ADMIN_TOKEN');
      expect(appEnv(render(), 'gateway')).not.toHaveProperty('FLOWGATE_ADMIN_TOKEN');
      expect(helmTemplateFailure('flowgate', { release: 'flowgate-blue', set: { 'gateway.admin.token': 'too-short' } }).stderr).toMatch(/gateway\/admin\/token/);
      expect(renderNotes('flowgate', { release: 'flowgate-blue', valuesFiles: [join(CHART, 'ci/admin-api-values.yaml')] })).toMatch(/localhost:9100\/admin\/v1\/scripts .*Bearer \$ADMIN_TOKEN/);
      expect(renderNotes('flowgate', { release: 'flowgate-blue' })).toMatch(/script admin API \(\/admin\/v1\) is off/);
    });

    it('auth-jwt: the issuer\'s settings reach the gateway; missing ones are named', () => {
      const objects = render([join(CHART, 'ci/auth-jwt-values.yaml')]);
      expect(appEnv(objects, 'gateway')).toMatchObject({
        FLOWGATE_AUTH: 'jwt', FLOWGATE_JWT_JWKS_URL: 'https://login.example.com/.well-known/jwks.json',
        FLOWGATE_JWT_ISSUER: 'https://login.example.com/', FLOWGATE_JWT_AUDIENCE: 'flowgate', FLOWGATE_JWT_CALLER_CLAIM: 'sub',
      });
      expect(helmTemplateFailure('flowgate', { release: 'flowgate-blue', set: { 'gateway.auth.mode': 'jwt', 'gateway.auth.jwt.issuer': 'x' } }).stderr)
        .toMatch(/gateway.auth.mode=jwt needs gateway.auth.jwt.jwksUrl, gateway.auth.jwt.audience/);
    });

    it('tls-sasl: apps, topics Job and KEDA get TLS, SCRAM and the CA from existing Secrets', () => {
      const objects = render([join(CHART, 'ci/tls-sasl-values.yaml')]);
      expect(ofKind(objects, 'Secret')).toEqual([]); // nothing stored by the chart
      for (const workload of workloads(objects)) {
        const pod = workload.spec.template.spec;
        const env = containerEnv(pod.containers[0], objects, EXISTING_SECRETS);
        expect(env).toMatchObject({
          KAFKA_SSL: 'true',
          KAFKA_SASL_MECHANISM: 'scram-sha-512',
          KAFKA_SASL_USERNAME: 'flowgate',
          KAFKA_SASL_PASSWORD: 's3cret',
          NODE_EXTRA_CA_CERTS: '/etc/flowgate/ca/ca.crt',
        });
        const ca = pod.volumes.find((v: K8sObject) => v.secret?.secretName === 'flowgate-ca');
        expect(pod.containers[0].volumeMounts).toContainEqual({ name: ca.name, mountPath: '/etc/flowgate/ca', readOnly: true });
      }
      expect(appConfigs(objects, EXISTING_SECRETS).gateway.REDIS_URL).toBe('rediss://:s3cret@redis.example:6380');
      const [scaled] = ofKind(objects, 'ScaledObject');
      const [auth] = ofKind(objects, 'TriggerAuthentication');
      expect(scaled.spec.triggers[0].metadata).toMatchObject({ tls: 'enable', sasl: 'scram_sha512' });
      expect(scaled.spec.triggers[0].authenticationRef).toEqual({ name: auth.metadata.name });
      expect(auth.spec.secretTargetRef).toEqual([
        { parameter: 'password', name: 'flowgate-kafka-credentials', key: 'password' },
        { parameter: 'ca', name: 'flowgate-ca', key: 'ca.crt' },
      ]);
      expect(auth.spec.env).toEqual([{ parameter: 'username', name: 'KAFKA_SASL_USERNAME', containerName: 'processor' }]);
      expect(scaledObjectProblems(objects, {}, EXISTING_SECRETS)).toEqual([]);
    });

    it('per-app users: each app, the topics Job and KEDA get their own Kafka user, password and Redis URL', () => {
      const objects = render([join(CHART, 'ci/per-app-users-values.yaml')], { 'console.enabled': true, 'gateway.admin.existingSecret': 'flowgate-admin' });
      const kafkaUser = (app: string) => ({ KAFKA_SASL_USERNAME: app, KAFKA_SASL_PASSWORD: `${app}-kafka-pw`, NODE_EXTRA_CA_CERTS: '/etc/flowgate/ca/ca.crt' });
      for (const app of ['gateway', 'processor', 'sweeper']) {
        expect(containerEnv(named(objects, 'Deployment', `flowgate-blue-${app}`).spec.template.spec.containers[0], objects, EXISTING_SECRETS)).toMatchObject({
          ...kafkaUser(app),
          REDIS_URL: `rediss://${app}:${app}-redis-pw@redis.example:6380`,
        });
      }
      const consoleEnv = containerEnv(named(objects, 'Deployment', 'flowgate-blue-console').spec.template.spec.containers[0], objects, EXISTING_SECRETS);
      expect(consoleEnv).toMatchObject(kafkaUser('console'));
      expect(consoleEnv.REDIS_URL).toBeUndefined();
      const [job] = ofKind(objects, 'Job');
      expect(containerEnv(job.spec.template.spec.containers[0], objects, EXISTING_SECRETS)).toMatchObject(kafkaUser('processor'));
      const [auth] = ofKind(objects, 'TriggerAuthentication');
      expect(auth.spec.secretTargetRef[0]).toEqual({ parameter: 'password', name: 'flowgate-kafka-processor', key: 'password' });
      expect(auth.spec.env).toEqual([{ parameter: 'username', name: 'KAFKA_SASL_USERNAME', containerName: 'processor' }]);
    });

    it('sasl with a password in values: the chart stores it in its Secret, not in the ConfigMap', () => {
      const objects = render([], { 'kafka.sasl.enabled': true, 'kafka.sasl.password': 'pw-from-values' });
      const secret = named(objects, 'Secret', 'flowgate-blue-secrets');
      expect(Buffer.from(secret.data.KAFKA_SASL_PASSWORD, 'base64').toString()).toBe('pw-from-values');
      expect(JSON.stringify(ofKind(objects, 'ConfigMap'))).not.toContain('pw-from-values');
    });

    it('dashboards: a ConfigMap labelled for the Grafana sidecar', () => {
      const objects = render([join(CHART, 'ci/dashboards-values.yaml')]);
      const dashboards = named(objects, 'ConfigMap', 'flowgate-blue-dashboards');
      expect(dashboards.metadata.labels?.grafana_dashboard).toBe('1');
      expect(dashboards.metadata.annotations).toEqual({ grafana_folder: 'flowgate' });
      const files = readdirSync(join(CHART, 'files/dashboards')).filter((f) => f.endsWith('.json')).sort();
      expect(Object.keys(dashboards.data ?? {}).sort()).toEqual(files);
      expect(files.length).toBeGreaterThanOrEqual(3);
      for (const file of files) expect(dashboards.data[file]).toBe(readFileSync(join(CHART, 'files/dashboards', file), 'utf8').trimEnd());
    });

    it('prometheusRule: one PrometheusRule with the release\'s alerts and the extra labels', () => {
      const objects = render([join(CHART, 'ci/prometheusrule-values.yaml')]);
      const [rule, ...more] = ofKind(objects, 'PrometheusRule');
      expect(more).toEqual([]);
      expect(rule.metadata.labels?.release).toBe('kube-prometheus-stack');
      const alerts = rule.spec.groups.flatMap((g: K8sObject) => g.rules);
      expect(alerts.length).toBeGreaterThan(5);
      for (const alert of alerts) expect(alert.labels).toMatchObject({ team: 'platform', severity: expect.stringMatching(/^(warning|critical)$/) });
    });

    it('no-event-route: FLOWGATE_EVENT_ROUTE is set and empty, so /event answers 404 instead of serving the default route', () => {
      const file = join(CHART, 'ci/no-event-route-values.yaml');
      const env = appEnv(render([file]), 'gateway');
      expect(Object.entries(env)).toContainEqual(['FLOWGATE_EVENT_ROUTE', '']);
      expect(renderNotes('flowgate', { release: 'flowgate-blue', valuesFiles: [file] })).not.toContain('/event');
    });

    it('processor.jobs: every module in the list reaches the processors and the topics Job', () => {
      const jobs = 'dist/examples/demo.js,/opt/flowgate-jobs/fraud.js';
      const objects = render([], { 'processor.jobs': jobs.replace(/,/g, '\\,') });
      expect(appEnv(objects, 'processor').FLOWGATE_JOBS).toBe(jobs);
      expect(containerEnv(ofKind(objects, 'Job')[0].spec.template.spec.containers[0], objects).FLOWGATE_JOBS).toBe(jobs);
    });

    it('console: off by default; on, a ClusterIP Service, the admin token from a Secret, every variable it reads set', () => {
      expect(render().some((o) => o.metadata.name === 'flowgate-blue-console')).toBe(false);
      const objects = render([join(CHART, 'ci/console-values.yaml')]);
      expect(named(objects, 'Service', 'flowgate-blue-console').spec).toMatchObject({ type: 'ClusterIP', ports: [{ name: 'http', port: 9300, targetPort: 'http' }] });
      expect(objects.filter((o) => o.kind === 'Ingress')).toEqual([]);
      const env = appEnv(objects, 'console');
      expect(env).toMatchObject({ FLOWGATE_ADMIN_TOKEN: 'ci-console-token-0123456789', FLOWGATE_CONSOLE_AUTH: 'token', FLOWGATE_CONSOLE_PORT: '9300', FLOWGATE_TOPIC_PREFIX: 'flowgate.blue.' });
      // The console reads Kafka only; it binds 0.0.0.0, as a pod must.
      expect(env.REDIS_URL).toBeUndefined();
      const unset = Object.keys(CONSOLE_ENV).filter((name) => !(name in env) && !['FLOWGATE_CONSOLE_HOST', 'KAFKA_SSL', 'KAFKA_SASL_MECHANISM', 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'].includes(name));
      expect(unset).toEqual([]);
      // The admin surface's one token: the console and the gateway's script admin API read the same Secret key.
      const tokenRef = (objs: K8sObject[], app: string) =>
        named(objs, 'Deployment', `flowgate-blue-${app}`).spec.template.spec.containers[0].env.find((e: K8sObject) => e.name === 'FLOWGATE_ADMIN_TOKEN').valueFrom.secretKeyRef;
      expect(tokenRef(objects, 'console')).toEqual(tokenRef(objects, 'gateway'));
      const existing = render([join(CHART, 'ci/console-values.yaml')], { 'gateway.admin.existingSecret': 'ops-admin', 'gateway.admin.token': '' });
      expect(tokenRef(existing, 'console')).toEqual({ name: 'ops-admin', key: 'admin-token' });
      const consoleOnly = render([join(CHART, 'ci/console-values.yaml')], { 'gateway.enabled': false });
      expect(appConfigs(consoleOnly).console.FLOWGATE_ADMIN_TOKEN).toBe('ci-console-token-0123456789');
      const notes = renderNotes('flowgate', { release: 'flowgate-blue', namespace: 'shop', valuesFiles: [join(CHART, 'ci/console-values.yaml')] });
      expect(notes).toContain('kubectl --namespace shop port-forward service/flowgate-blue-console 9300:9300');
      const withPolicy = render([join(CHART, 'ci/console-values.yaml'), join(CHART, 'ci/networkpolicy-values.yaml')]);
      expect(named(withPolicy, 'NetworkPolicy', 'flowgate-blue-console').spec.ingress).toEqual([]);
      expect(networkProblems(withPolicy)).toEqual([]);
    });

    it('pdb and topics Job can be turned off', () => {
      expect(ofKind(render([join(CHART, 'ci/no-pdb-values.yaml')]), 'PodDisruptionBudget')).toEqual([]);
      expect(ofKind(render([join(CHART, 'ci/no-topics-job-values.yaml')]), 'Job')).toEqual([]);
    });
  });

  describe('refuses values that cannot work', () => {
    it.each([
      [{ 'gateway.replicaz': 2 }, "additional properties 'replicaz' not allowed"],
      [{ bogus: 1 }, "additional properties 'bogus' not allowed"],
      [{ colour: 'red' }, "value must be one of 'blue', 'green'"],
      [{ 'kafka.brokers': 'kafka' }, '/kafka/brokers'],
      [{ 'redis.url': 'http://redis:6379' }, '/redis/url'],
      [{ 'gateway.replicas': 16 }, '16 gateways plus one rollout surge need 17 reply partitions'],
      [{ 'gateway.autoscaling.enabled': true, 'gateway.autoscaling.maxReplicas': 20 }, '20 gateways plus one rollout surge'],
      [{ 'processor.autoscaling.enabled': true, 'processor.autoscaling.maxReplicaCount': 9 }, 'above kafka.requestPartitions 8'],
      [{ 'kafka.sasl.enabled': true }, 'kafka.sasl.enabled needs kafka.sasl.existingSecret'],
      [{ 'processor.jobs': '' }, '/processor/jobs'],
      [{ 'processor.jobs': 'dist/examples/demo.js\\, dist/examples/other.js' }, '/processor/jobs'],
      [{ 'gateway.eventRoute': 'v1/echo' }, '/gateway/eventRoute'],
      [{ 'console.enabled': true }, 'console.enabled needs the admin token, gateway.admin.existingSecret'],
    ])('%j', (set, message) => {
      const { status, stderr } = helmTemplateFailure('flowgate', { release: 'flowgate-blue', set });
      expect(status).not.toBe(0);
      expect(stderr).toContain(message);
    });
  });

  describe('values.schema.json and values.yaml', () => {
    type Schema = { type?: string | string[]; properties?: Record<string, Schema>; additionalProperties?: boolean | Schema; description?: string; minimum?: number; maximum?: number };
    const schema = JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8')) as Schema;

    it('closes every object of our own; only Kubernetes pass-through objects stay open', () => {
      const open: string[] = [];
      const walk = (node: Schema, path: string): void => {
        if (node.type !== 'object') return;
        if (node.properties) {
          if (node.additionalProperties !== false) open.push(path);
          for (const [key, child] of Object.entries(node.properties)) walk(child, path ? `${path}.${key}` : key);
        } else if (typeof node.additionalProperties !== 'object' && !/Kubernetes|parent chart/.test(node.description ?? '')) {
          open.push(path);
        }
      };
      walk(schema, '');
      expect(open).toEqual([]);
    });

    it('has a comment above every value of our own blocks', () => {
      const source = readFileSync(join(CHART, 'values.yaml'), 'utf8');
      const lines = source.split('\n');
      const counter = new LineCounter();
      const doc = parseDocument(source, { lineCounter: counter });
      const missing: string[] = [];
      const walk = (map: YAMLMap, node: Schema, path: string): void => {
        for (const pair of map.items) {
          if (!isScalar(pair.key)) continue;
          const key = String(pair.key.value);
          const line = counter.linePos(pair.key.range?.[0] ?? 0).line - 1;
          const indent = lines[line].length - lines[line].trimStart().length;
          const above = lines[line - 1] ?? '';
          if (!above.trimStart().startsWith('#') || above.length - above.trimStart().length !== indent) missing.push(`${path}${key}`);
          const child = node.properties?.[key];
          if (child?.properties && isMap(pair.value)) walk(pair.value, child, `${path}${key}.`);
        }
      };
      walk(doc.contents as YAMLMap, schema, '');
      expect(missing).toEqual([]);
    });

    // The schema's bounds must sit inside the apps' own: a value the chart accepts must not make
    // a pod exit 1 at boot.
    const VALUE_ENV: Record<string, string> = {
      'kafka.requestPartitions': 'FLOWGATE_REQUEST_PARTITIONS',
      'kafka.replyPartitions': 'FLOWGATE_REPLY_PARTITIONS',
      'gateway.port': 'FLOWGATE_GATEWAY_PORT',
      'gateway.defaultTimeoutMs': 'FLOWGATE_DEFAULT_TIMEOUT_MS',
      'gateway.maxTimeoutMs': 'FLOWGATE_MAX_TIMEOUT_MS',
      'gateway.maxInflight': 'FLOWGATE_MAX_INFLIGHT',
      'gateway.minInflight': 'FLOWGATE_MIN_INFLIGHT',
      'gateway.targetQueueMs': 'FLOWGATE_TARGET_QUEUE_MS',
      'gateway.targetLoopDelayMs': 'FLOWGATE_TARGET_LOOP_DELAY_MS',
      'gateway.retryAfterMaxS': 'FLOWGATE_RETRY_AFTER_MAX_S',
      'gateway.admissionWaitMs': 'FLOWGATE_ADMISSION_WAIT_MS',
      'gateway.maxBodyBytes': 'FLOWGATE_MAX_BODY_BYTES',
      'gateway.produceTimeoutMs': 'FLOWGATE_PRODUCE_TIMEOUT_MS',
      'gateway.replyLeaseMs': 'FLOWGATE_REPLY_LEASE_MS',
      'gateway.asyncTimeoutMs': 'FLOWGATE_ASYNC_TIMEOUT_MS',
      'registry.resultTtlS': 'FLOWGATE_RESULT_TTL_S',
      'registry.idempotencyTtlS': 'FLOWGATE_IDEMPOTENCY_TTL_S',
      'processor.port': 'FLOWGATE_PROCESSOR_PORT',
      'processor.partitionConcurrency': 'FLOWGATE_PARTITION_CONCURRENCY',
      'processor.partitionQueue': 'FLOWGATE_PARTITION_QUEUE',
      'processor.commitIntervalMs': 'FLOWGATE_COMMIT_INTERVAL_MS',
      'sweeper.port': 'FLOWGATE_SWEEPER_PORT',
      'sweeper.intervalMs': 'FLOWGATE_SWEEP_INTERVAL_MS',
      'sweeper.batch': 'FLOWGATE_SWEEP_BATCH',
      'sweeper.claimMs': 'FLOWGATE_SWEEP_CLAIM_MS',
      'console.port': 'FLOWGATE_CONSOLE_PORT',
    };
    const bound = (path: string, which: 'minimum' | 'maximum'): number => {
      const node = path.split('.').reduce<Schema | undefined>((n, key) => n?.properties?.[key], schema);
      const value = node?.[which];
      if (value === undefined) throw new Error(`values.schema.json has no ${which} for ${path}`);
      return value;
    };

    it.each(['minimum', 'maximum'] as const)('values at the schema %s still pass the apps\' config check', (which) => {
      const set: Record<string, number> = Object.fromEntries(Object.keys(VALUE_ENV).map((path) => [path, bound(path, which)]));
      // One reply partition leaves no room for a gateway plus its rollout surge.
      if (which === 'minimum') set['gateway.replicas'] = 0;
      // A values file, not --set: numbers from YAML reach the templates as floats (1e+06 trap).
      const values: Record<string, Record<string, unknown>> = { console: { enabled: true }, gateway: { admin: { token: 'an-admin-token-of-16+' } } };
      for (const [path, value] of Object.entries(set)) {
        const [block, key] = path.split('.');
        values[block] = { ...values[block], [key]: value };
      }
      const file = join(mkdtempSync(join(tmpdir(), 'flowgate-values-')), `${which}-values.yaml`);
      writeFileSync(file, stringify(values));
      const objects = render([file]);
      const configs = appConfigs(objects);
      const merged = { ...configs.gateway, ...configs.processor, ...configs.sweeper, ...configs.console };
      for (const [path, name] of Object.entries(VALUE_ENV)) expect({ [name]: merged[name] }).toEqual({ [name]: set[path] });
    });
  });
});
