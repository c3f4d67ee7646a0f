import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, Secret, Service } from 'kubernetes-models/v1';
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { PrometheusRule, ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { ensureTools, mustRun, repoRoot, runCommand } from './tools';

/** A rendered Kubernetes object, loosely typed: the specs read it like kubectl output. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  // Specs walk arbitrary Kubernetes shapes; the kubernetes-models validation gives the types teeth.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [field: string]: any;
}

export function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`invalid YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
      return doc.toJS() as K8sObject | null;
    })
    .filter((object): object is K8sObject => object !== null && typeof object === 'object');
}

/** A chart under helm/. */
export function chartDir(name: string): string {
  return join(repoRoot, 'helm', name);
}

export interface HelmTemplateOptions {
  readonly release: string;
  readonly namespace?: string;
  readonly valuesFiles?: string[];
  readonly set?: Record<string, string | number | boolean>;
}

function helmArgs(chart: string, options: HelmTemplateOptions): string[] {
  const dir = chart.startsWith('/') ? chart : chartDir(chart);
  const args = ['template', options.release, dir, '--namespace', options.namespace ?? 'flowgate'];
  for (const file of options.valuesFiles ?? []) args.push('--values', file);
  for (const [key, value] of Object.entries(options.set ?? {})) args.push('--set', `${key}=${value}`);
  return args;
}

/** `helm template` of a chart under helm/ (or at an absolute path), as text. Throws when helm fails. */
export function helmTemplateText(chart: string, options: HelmTemplateOptions): string {
  return mustRun(ensureTools().helm, helmArgs(chart, options));
}

export function helmTemplate(chart: string, options: HelmTemplateOptions): K8sObject[] {
  return parseManifests(helmTemplateText(chart, options));
}

/** `helm template` that is expected to fail: its exit status and error text. */
export function helmTemplateFailure(chart: string, options: HelmTemplateOptions): { status: number; stderr: string } {
  const { status, stderr } = runCommand(ensureTools().helm, helmArgs(chart, options));
  return { status, stderr };
}

export function kustomizeBuildText(dir: string): string {
  return mustRun(ensureTools().kustomize, ['build', dir]);
}

export interface StrictResult {
  readonly kind: string;
  readonly name: string;
  readonly status: 'ok' | 'error' | 'skipped';
  readonly error?: string;
}

/** tools/helm/kube-strict: strict decoding into client-go's typed objects (unknown fields fail). */
export function kubeStrict(yamlText: string): StrictResult[] {
  const { stdout, stderr, status } = runCommand(ensureTools().kubeStrict, [], { input: yamlText });
  if (status !== 0 && status !== 1) throw new Error(`kube-strict failed to run (exit ${status}): ${stderr}`);
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as StrictResult);
}

type ModelClass = new (data: never) => { validate(): void };
const MODELS: Record<string, ModelClass> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/Namespace': Namespace,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'keda.sh/v1alpha1/TriggerAuthentication': TriggerAuthentication,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
};

/**
 * Validates one object against its kubernetes-models schema (types, required fields, formats;
 * CRDs included). Returns the problem, or undefined when valid. A kind with no model is a problem:
 * it would otherwise go unchecked.
 */
export function schemaProblem(object: K8sObject): string | undefined {
  const Model = MODELS[`${object.apiVersion}/${object.kind}`];
  const id = `${object.kind}/${object.metadata?.name}`;
  if (!Model) return `${id}: no schema known for ${object.apiVersion} ${object.kind}`;
  try {
    new Model(object as never).validate();
    return undefined;
  } catch (error) {
    return `${id}: ${error instanceof Error ? error.message : String(error)}`;
  }
}

export function ofKind(objects: K8sObject[], kind: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind);
}

export function named(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} named ${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
}

/** Deployments and Jobs: everything that runs pods. */
export function workloads(objects: K8sObject[]): K8sObject[] {
  return objects.filter((o) => o.kind === 'Deployment' || o.kind === 'Job');
}

export function podLabels(workload: K8sObject): Record<string, string> {
  return workload.spec.template.metadata?.labels ?? {};
}

/** matchLabels-only selector matching (the manifests use no matchExpressions; asserted). */
export function selects(selector: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] } | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  if (selector.matchExpressions?.length) throw new Error('matchExpressions are not supported by this check');
  return Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
}

/** Service selectors are plain label maps. */
export function serviceSelects(service: K8sObject, labels: Record<string, string>): boolean {
  const selector: Record<string, string> = service.spec.selector ?? {};
  return Object.keys(selector).length > 0 && Object.entries(selector).every(([key, value]) => labels[key] === value);
}

function secretValue(secret: K8sObject, key: string): string | undefined {
  if (secret.stringData?.[key] !== undefined) return String(secret.stringData[key]);
  if (secret.data?.[key] !== undefined) return Buffer.from(String(secret.data[key]), 'base64').toString('utf8');
  return undefined;
}

/**
 * The environment a container would see, resolved from the rendered ConfigMaps and Secrets.
 * Secrets that are not rendered (existing Secrets the user provides) come from `external`,
 * keyed "secretName/key"; a reference to a Secret that is neither is an error.
 */
export function containerEnv(
  container: K8sObject,
  objects: K8sObject[],
  external: Record<string, string> = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  const lookup = (kind: 'ConfigMap' | 'Secret', name: string, key: string): string => {
    const object = objects.find((o) => o.kind === kind && o.metadata.name === name);
    const value = object ? (kind === 'Secret' ? secretValue(object, key) : object.data?.[key]) : external[`${name}/${key}`];
    if (value === undefined) throw new Error(`${container.name}: ${kind} ${name} has no key ${key}`);
    return String(value);
  };
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef) {
      const configMap = named(objects, 'ConfigMap', source.configMapRef.name);
      for (const [key, value] of Object.entries(configMap.data ?? {})) env[key] = String(value);
    } else if (source.secretRef) {
      const secret = named(objects, 'Secret', source.secretRef.name);
      for (const key of Object.keys({ ...secret.data, ...secret.stringData })) env[key] = secretValue(secret, key) ?? '';
    }
  }
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) env[variable.name] = String(variable.value);
    else if (variable.valueFrom?.fieldRef) env[variable.name] = 'flowgate-pod-7d9f8-x2x4q';
    else if (variable.valueFrom?.secretKeyRef) {
      env[variable.name] = lookup('Secret', variable.valueFrom.secretKeyRef.name, variable.valueFrom.secretKeyRef.key);
    } else if (variable.valueFrom?.configMapKeyRef) {
      env[variable.name] = lookup('ConfigMap', variable.valueFrom.configMapKeyRef.name, variable.valueFrom.configMapKeyRef.key);
    }
  }
  return env;
}


/**
 * NOTES.txt as `helm install` would print it. `helm template` does not render notes and
 * `helm install --dry-run` wants a cluster, so a copy of the chart gets one more template that
 * includes NOTES.txt into a ConfigMap.
 */
export function renderNotes(chart: string, options: HelmTemplateOptions): string {
  const copy = mkdtempSync(join(tmpdir(), 'flowgate-notes-'));
  try {
    cpSync(chartDir(chart), copy, { recursive: true });
    writeFileSync(
      join(copy, 'templates/zz-notes.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n  notes: {{ include (print .Template.BasePath "/NOTES.txt") . | toJson }}\n',
    );
    const [configMap] = parseManifests(
      mustRun(ensureTools().helm, [...helmArgs(copy, options), '--show-only', 'templates/zz-notes.yaml']),
    );
    return String(configMap.data.notes);
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}
