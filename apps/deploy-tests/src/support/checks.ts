import { readConsoleConfig, readGatewayConfig, readProcessorConfig, readSweeperConfig } from '@flowgate/config';
import { containerEnv, K8sObject, kubeStrict, ofKind, podLabels, schemaProblem, selects, workloads } from './manifests';
import { ENSURE_TOPICS } from './topics-job';

/** Kinds that client-go does not know; kubernetes-models and the structural checks cover them. */
const CRD_KINDS = new Set(['ScaledObject', 'TriggerAuthentication', 'ServiceMonitor', 'PrometheusRule']);

/** Every object against the Kubernetes schemas: strict typed decoding and kubernetes-models. */
export function schemaProblems(objects: K8sObject[], yamlText: string): string[] {
  const problems: string[] = [];
  const strict = kubeStrict(yamlText);
  if (strict.length !== objects.length) problems.push(`kube-strict saw ${strict.length} objects, the YAML parser ${objects.length}`);
  for (const result of strict) {
    if (result.status === 'error') problems.push(`${result.kind}/${result.name}: ${result.error}`);
    if (result.status === 'skipped' && !CRD_KINDS.has(result.kind)) problems.push(`${result.kind}/${result.name}: not checked by kube-strict`);
  }
  for (const object of objects) {
    const problem = schemaProblem(object);
    if (problem) problems.push(problem);
  }
  return problems;
}

/**
 * Pod hardening and lifecycle of every workload: the restricted Pod Security Standard, a
 * writable /tmp on a read-only root, requests and limits, probes on the app containers, and a
 * grace period longer than the longest request deadline.
 */
export function podProblems(objects: K8sObject[], external: Record<string, string> = {}): string[] {
  const problems: string[] = [];
  for (const workload of workloads(objects)) {
    const spec = workload.spec.template.spec;
    const id = `${workload.kind}/${workload.metadata.name}`;
    const pod = spec.securityContext ?? {};
    if (spec.enableServiceLinks !== false) problems.push(`${id}: enableServiceLinks must be false (service env vars clash with FLOWGATE_*_PORT)`);
    if (spec.automountServiceAccountToken !== false) problems.push(`${id}: mounts a service account token it does not use`);
    const tmpVolumes = new Set((spec.volumes ?? []).filter((v: K8sObject) => v.emptyDir).map((v: K8sObject) => v.name));
    for (const container of spec.containers) {
      const cid = `${id} container ${container.name}`;
      const sc = container.securityContext ?? {};
      if ((sc.runAsNonRoot ?? pod.runAsNonRoot) !== true) problems.push(`${cid}: runAsNonRoot`);
      const uid = sc.runAsUser ?? pod.runAsUser;
      if (!(Number.isInteger(uid) && uid > 0)) problems.push(`${cid}: numeric non-root runAsUser, got ${uid}`);
      if (sc.readOnlyRootFilesystem !== true) problems.push(`${cid}: readOnlyRootFilesystem`);
      if (sc.allowPrivilegeEscalation !== false) problems.push(`${cid}: allowPrivilegeEscalation false`);
      if (!(sc.capabilities?.drop ?? []).includes('ALL')) problems.push(`${cid}: capabilities.drop ALL`);
      if (sc.capabilities?.add?.length) problems.push(`${cid}: adds capabilities`);
      if ((sc.seccompProfile?.type ?? pod.seccompProfile?.type) !== 'RuntimeDefault') problems.push(`${cid}: seccompProfile RuntimeDefault`);
      const tmp = (container.volumeMounts ?? []).find((m: K8sObject) => m.mountPath === '/tmp');
      if (!tmp || !tmpVolumes.has(tmp.name)) problems.push(`${cid}: emptyDir at /tmp`);
      for (const kind of ['requests', 'limits'] as const) {
        for (const resource of ['cpu', 'memory']) {
          if (container.resources?.[kind]?.[resource] === undefined) problems.push(`${cid}: resources.${kind}.${resource}`);
        }
      }
      if (/:latest$|^[^:]+$/.test(container.image)) problems.push(`${cid}: image ${container.image} has no pinned tag`);
      if (workload.kind !== 'Deployment') continue;
      const ports = new Set((container.ports ?? []).flatMap((p: K8sObject) => [p.name, p.containerPort]));
      for (const [probe, path] of [['livenessProbe', '/healthz'], ['readinessProbe', '/readyz']] as const) {
        const get = container[probe]?.httpGet;
        if (get?.path !== path) problems.push(`${cid}: ${probe} must GET ${path}, got ${get?.path}`);
        else if (!ports.has(get.port)) problems.push(`${cid}: ${probe} port ${get.port} is not a container port`);
      }
      const env = containerEnv(container, objects, external);
      const maxTimeoutMs = Number(env.FLOWGATE_MAX_TIMEOUT_MS ?? 60_000);
      const grace = spec.terminationGracePeriodSeconds ?? 30;
      if (grace * 1000 <= maxTimeoutMs) problems.push(`${cid}: terminationGracePeriodSeconds ${grace} is not longer than FLOWGATE_MAX_TIMEOUT_MS ${maxTimeoutMs}`);
      const portVar = `FLOWGATE_${container.name.toUpperCase()}_PORT`;
      if (env[portVar] !== undefined && !ports.has(Number(env[portVar]))) problems.push(`${cid}: ${portVar}=${env[portVar]} is not a container port`);
    }
  }
  return problems;
}

const READERS: Record<'gateway' | 'processor' | 'sweeper' | 'console', (env: NodeJS.ProcessEnv) => unknown> = {
  gateway: readGatewayConfig,
  processor: readProcessorConfig,
  sweeper: readSweeperConfig,
  console: readConsoleConfig,
};

/**
 * The environment each app container gets, read by the app's own config reader (the one that
 * makes it exit 1 at boot): returns the parsed config per container name, or throws naming
 * every bad variable.
 */
export function appConfigs(objects: K8sObject[], external: Record<string, string> = {}): Record<string, Record<string, unknown>> {
  const configs: Record<string, Record<string, unknown>> = {};
  for (const deployment of ofKind(objects, 'Deployment')) {
    for (const container of deployment.spec.template.spec.containers) {
      const read = READERS[container.name as keyof typeof READERS];
      if (!read) throw new Error(`Deployment/${deployment.metadata.name}: unknown app container ${container.name}`);
      configs[container.name] = read(containerEnv(container, objects, external)) as Record<string, unknown>;
    }
  }
  return configs;
}

/**
 * What the NetworkPolicies allow in: per workload, the ingress rules that apply to its pods.
 * Only the gateway may have a rule without `from` (reachable from anywhere); processors and
 * sweepers only from the Prometheus peers; every pod is under a policy with both directions.
 */
export function networkProblems(objects: K8sObject[], prometheusNamespace = 'monitoring'): string[] {
  const problems: string[] = [];
  const policies = ofKind(objects, 'NetworkPolicy');
  if (policies.length === 0) return ['no NetworkPolicy rendered'];
  const allowedEgressPorts = new Set([53, 9092, 9093, 6379]);
  for (const workload of workloads(objects)) {
    const labels = podLabels(workload);
    const id = `${workload.kind}/${workload.metadata.name}`;
    const applying = policies.filter((p) => selects(p.spec.podSelector, labels));
    const types = new Set(applying.flatMap((p) => p.spec.policyTypes ?? []));
    if (!types.has('Ingress') || !types.has('Egress')) problems.push(`${id}: not isolated for both Ingress and Egress (${[...types].join(',')})`);
    const isGateway = labels['app.kubernetes.io/component'] === 'gateway';
    // The gateway's internal port (/metrics) is as private as the other apps' ports.
    const adminPort = workload.spec.template.spec.containers[0].ports?.find((p: K8sObject) => p.name === 'admin')?.containerPort;
    if (isGateway && adminPort === undefined) problems.push(`${id}: the gateway has no container port named admin`);
    for (const policy of applying) {
      for (const rule of policy.spec.ingress ?? []) {
        const from: K8sObject[] = rule.from ?? [];
        const internal = !isGateway || (rule.ports ?? [{ port: 'any' }]).some((p: K8sObject) => p.port === adminPort || p.port === 'admin' || p.port === 'any');
        if (from.length === 0 && internal) problems.push(`${id}: ${policy.metadata.name} lets anyone in${isGateway ? ' to the internal port' : ''}`);
        if (internal) {
          for (const peer of from) {
            const ns = peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'];
            if (ns !== prometheusNamespace || !peer.podSelector) problems.push(`${id}: ${policy.metadata.name} lets ${JSON.stringify(peer)} in, not only Prometheus`);
          }
        }
      }
      for (const rule of policy.spec.egress ?? []) {
        for (const port of rule.ports ?? [{ port: 'any' }]) {
          if (!allowedEgressPorts.has(port.port)) problems.push(`${id}: ${policy.metadata.name} allows egress to port ${port.port}`);
        }
      }
    }
    if (isGateway) {
      const open = applying.some((p) => (p.spec.ingress ?? []).some((r: K8sObject) => !r.from?.length));
      if (!open) problems.push(`${id}: the gateway is not reachable from outside`);
    }
  }
  return problems;
}

/** The KEDA ScaledObject of the processors, checked against the apps' own Kafka settings. */
export function scaledObjectProblems(
  objects: K8sObject[],
  expected: { maxReplicaCount?: number } = {},
  external: Record<string, string> = {},
): string[] {
  const problems: string[] = [];
  const [scaled, ...more] = ofKind(objects, 'ScaledObject');
  if (!scaled || more.length > 0) return [`expected one ScaledObject, got ${ofKind(objects, 'ScaledObject').length}`];
  const target = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === scaled.spec.scaleTargetRef?.name);
  if (!target) return [`ScaledObject targets ${scaled.spec.scaleTargetRef?.name}, which is no Deployment`];
  const processor = target.spec.template.spec.containers.find((c: K8sObject) => c.name === 'processor');
  if (!processor) return [`ScaledObject targets ${target.metadata.name}, which runs no processor`];
  if (target.spec.replicas !== undefined) problems.push(`${target.metadata.name} sets replicas although KEDA owns them`);
  const config = readProcessorConfig(containerEnv(processor, objects, external));
  const triggers = scaled.spec.triggers ?? [];
  const kafka = triggers.find((t: K8sObject) => t.type === 'kafka');
  if (!kafka || triggers.length !== 1) return [`expected one kafka trigger, got ${JSON.stringify(triggers)}`];
  const m = kafka.metadata;
  const prefix = config.FLOWGATE_TOPIC_PREFIX;
  if (m.consumerGroup !== `${prefix}processor`) problems.push(`consumerGroup ${m.consumerGroup}, the processors use ${prefix}processor`);
  if (m.topic !== `${prefix}requests`) problems.push(`topic ${m.topic}, the processors read ${prefix}requests`);
  if (m.bootstrapServers !== config.KAFKA_BROKERS.join(',')) problems.push(`bootstrapServers ${m.bootstrapServers}, the apps use ${config.KAFKA_BROKERS.join(',')}`);
  if (!(Number(m.lagThreshold) > 0) || typeof m.lagThreshold !== 'string') problems.push(`lagThreshold must be a positive number as a string, got ${JSON.stringify(m.lagThreshold)}`);
  const max = scaled.spec.maxReplicaCount;
  const wantedMax = expected.maxReplicaCount ?? config.FLOWGATE_REQUEST_PARTITIONS;
  if (max !== wantedMax) problems.push(`maxReplicaCount ${max}, expected ${wantedMax}`);
  if (max > config.FLOWGATE_REQUEST_PARTITIONS) problems.push(`maxReplicaCount ${max} above the ${config.FLOWGATE_REQUEST_PARTITIONS} request partitions`);
  if (!(scaled.spec.minReplicaCount >= 1 && scaled.spec.minReplicaCount <= max)) problems.push(`minReplicaCount ${scaled.spec.minReplicaCount}`);
  return problems;
}

/** Gateways never outnumber reply partitions, counting the rollout surge. */
export function replySlotProblems(objects: K8sObject[], external: Record<string, string> = {}): string[] {
  const problems: string[] = [];
  for (const deployment of ofKind(objects, 'Deployment').filter((d) => podLabels(d)['app.kubernetes.io/component'] === 'gateway')) {
    const container = deployment.spec.template.spec.containers[0];
    const config = readGatewayConfig(containerEnv(container, objects, external));
    const hpa = ofKind(objects, 'HorizontalPodAutoscaler').find((h) => h.spec.scaleTargetRef.name === deployment.metadata.name);
    const most = hpa ? hpa.spec.maxReplicas : (deployment.spec.replicas ?? 1);
    const surge = Number(deployment.spec.strategy?.rollingUpdate?.maxSurge ?? 1);
    if (most + surge > config.FLOWGATE_REPLY_PARTITIONS) {
      problems.push(`${deployment.metadata.name}: up to ${most}+${surge} gateways but ${config.FLOWGATE_REPLY_PARTITIONS} reply partitions`);
    }
  }
  return problems;
}

/**
 * Every Job is the topics Job: one container running ENSURE_TOPICS in the processor's image from
 * the image's working directory (where dist/ is), with every variable the processor gets (the
 * Redis URL aside: it talks only to Kafka), which the processor's own config check accepts; and
 * no script mounted beside it.
 */
export function topicsJobProblems(objects: K8sObject[], external: Record<string, string> = {}): string[] {
  const problems: string[] = [];
  const jobs = ofKind(objects, 'Job');
  if (jobs.length === 0) return problems;
  const processor = ofKind(objects, 'Deployment')
    .flatMap((d) => d.spec.template.spec.containers)
    .find((c: K8sObject) => c.name === 'processor');
  if (!processor) return ['a topics Job but no processor Deployment to take the image and environment from'];
  const processorEnv = containerEnv(processor, objects, external);
  for (const job of jobs) {
    const id = `Job/${job.metadata.name}`;
    const pod = job.spec.template.spec;
    if (pod.containers.length !== 1) problems.push(`${id}: ${pod.containers.length} containers`);
    const [container] = pod.containers;
    if (container.image !== processor.image) problems.push(`${id}: image ${container.image}, the processor runs ${processor.image}`);
    if (JSON.stringify(container.command) !== JSON.stringify(ENSURE_TOPICS) || container.args !== undefined) {
      problems.push(`${id}: runs ${JSON.stringify([...(container.command ?? []), ...(container.args ?? [])])}, not ${JSON.stringify(ENSURE_TOPICS)}`);
    }
    if (container.workingDir !== undefined) problems.push(`${id}: workingDir ${container.workingDir}; dist/ is in the image's own working directory`);
    for (const volume of pod.volumes ?? []) {
      if (volume.configMap) problems.push(`${id}: mounts ConfigMap ${volume.configMap.name}; the command is in the image`);
    }
    const env = containerEnv(container, objects, external);
    for (const [name, value] of Object.entries(processorEnv)) {
      if (name !== 'REDIS_URL' && env[name] !== value) problems.push(`${id}: ${name} is ${JSON.stringify(env[name])}, the processor's ${JSON.stringify(value)}`);
    }
    try {
      readProcessorConfig(env);
    } catch (error) {
      problems.push(`${id}: the processor's config check rejects the Job's environment: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return problems;
}
