import type { GatewayStatus, InstanceStatus, ProcessorStatus, ScriptActivationRecord, StatusHistogram, StatusJob, StatusNode } from '@flowgate/contracts';
import { addHistograms, intervalQuantile, perSecond } from './rates';

/** The two newest records of one instance: rates come from their difference. */
export interface InstanceReadings<S extends InstanceStatus = InstanceStatus> {
  readonly current: S;
  readonly previous?: S;
}

/** Live figures of one node of a job's graph, summed over the processors running the job. */
export interface NodeFigures {
  readonly inPerSec: number;
  readonly outPerSec: number;
  readonly errorsPerSec: number;
  /** p99 duration over the last interval, ms; absent when nothing ran. */
  readonly p99Ms?: number;
  /** Cumulative counts since the instances started (equal to their /metrics). */
  readonly inTotal: number;
  readonly outTotal: number;
  readonly errorsTotal: number;
}

export interface PartitionView {
  readonly partition: number;
  readonly instance: string;
  readonly lag?: number;
  readonly paused: boolean;
  readonly watermarkLagSeconds?: number;
}

export interface JobView {
  readonly name: string;
  readonly lane: string;
  readonly topic: string;
  readonly nodes: readonly StatusNode[];
  readonly edges: readonly { readonly from: string; readonly to: string }[];
  readonly instances: readonly string[];
  /** By node id. */
  readonly figures: Readonly<Record<string, NodeFigures>>;
  readonly partitions: readonly PartitionView[];
  readonly commits: { readonly committed: number; readonly aborted: number; readonly committedPerSec: number; readonly abortedPerSec: number };
  readonly late: { readonly total: number; readonly perSec: number };
}

export interface GatewayRouteView {
  readonly route: string;
  readonly path: string;
  /** Requests per second by HTTP status. */
  readonly perSec: Readonly<Record<string, number>>;
  readonly totals: Readonly<Record<string, number>>;
  readonly p99Ms?: number;
}

export interface GatewayView {
  readonly instance: string;
  readonly updatedAt: number;
  readonly inflight: number;
  readonly inflightLimit: number;
  readonly replyPartition: number;
  readonly rejectionsPerSec: number;
  readonly rejections: Readonly<Record<string, number>>;
  readonly routes: readonly GatewayRouteView[];
}

export interface ProcessorView {
  readonly instance: string;
  readonly startedAt: number;
  readonly updatedAt: number;
  readonly lanes: readonly { readonly name: string; readonly topic: string; readonly partitions: readonly number[]; readonly paused: readonly number[] }[];
}

/** A script: the versions meant to serve (`<prefix>scripts`), what each processor serves, calls per version. */
export interface ScriptView {
  readonly name: string;
  readonly kind?: string;
  readonly stable?: number;
  readonly canary?: { readonly version: number; readonly share: number };
  readonly changedAt?: string;
  readonly reason?: string;
  readonly serving: readonly { readonly instance: string; readonly stable?: number; readonly canary?: number }[];
  /** Calls per second by version, and those that failed (error, budget, memory). */
  readonly callsPerSec: Readonly<Record<string, number>>;
  readonly errorsPerSec: Readonly<Record<string, number>>;
}

export interface ConsoleView {
  readonly at: number;
  readonly processors: readonly ProcessorView[];
  readonly gateways: readonly GatewayView[];
  readonly jobs: readonly JobView[];
  readonly scripts: readonly ScriptView[];
}

const ms = (seconds: number | undefined) => (seconds === undefined ? undefined : Math.round(seconds * 100_000) / 100);
const round = (n: number) => Math.round(n * 100) / 100;
const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
const FAILED = ['failed', 'rejected'];

/** Readings of one job on one processor, with the seconds between them. */
interface JobReading {
  readonly instance: string;
  readonly bounds: readonly number[];
  readonly seconds: number;
  readonly current: StatusJob;
  readonly previous?: StatusJob;
}

/**
 * What the console shows, from the newest two records of every live instance: each job once
 * (merged over the processors running it), its figures per node summed over them, its
 * partitions with their owners; each gateway with its routes' rates. Pure.
 */
export function buildConsoleView(now: number, instances: readonly InstanceReadings[], activations: readonly ScriptActivationRecord[] = []): ConsoleView {
  const processors = instances.filter((i): i is InstanceReadings<ProcessorStatus> => i.current.app === 'processor');
  const gateways = instances.filter((i): i is InstanceReadings<GatewayStatus> => i.current.app === 'gateway');
  const byJob = new Map<string, JobReading[]>();
  for (const { current, previous } of processors) {
    const seconds = previous ? (current.updatedAt - previous.updatedAt) / 1000 : 0;
    for (const job of current.jobs) {
      const readings = byJob.get(job.name) ?? [];
      readings.push({ instance: current.instance, bounds: current.bounds, seconds, current: job, previous: previous?.jobs.find((j) => j.name === job.name) });
      byJob.set(job.name, readings);
    }
  }
  return {
    at: now,
    processors: processors.map(({ current }) => ({
      instance: current.instance,
      startedAt: current.startedAt,
      updatedAt: current.updatedAt,
      lanes: current.lanes.map((lane) => ({
        name: lane.name,
        topic: lane.topic,
        partitions: lane.partitions.map((p) => p.partition),
        paused: lane.partitions.filter((p) => p.paused).map((p) => p.partition),
      })),
    })),
    gateways: gateways.map(gatewayView),
    jobs: [...byJob.values()].map((readings) => jobView(readings, processors)).sort((a, b) => a.name.localeCompare(b.name)),
    scripts: scriptViews(processors, activations),
  };
}

const SCRIPT_FAILURES = ['error', 'budget', 'memory'];

function scriptViews(processors: readonly InstanceReadings<ProcessorStatus>[], activations: readonly ScriptActivationRecord[]): ScriptView[] {
  const names = new Set([...activations.map((a) => a.name), ...processors.flatMap((p) => (p.current.scripts ?? []).map((s) => s.name))]);
  return [...names].sort().map((name) => {
    const active = activations.find((a) => a.name === name);
    const callsPerSec: Record<string, number> = {};
    const errorsPerSec: Record<string, number> = {};
    const serving: ScriptView['serving'][number][] = [];
    for (const { current, previous } of processors) {
      const script = current.scripts?.find((s) => s.name === name);
      if (!script) continue;
      serving.push({ instance: current.instance, ...(script.stable !== undefined ? { stable: script.stable } : {}), ...(script.canary !== undefined ? { canary: script.canary } : {}) });
      const before = previous?.scripts?.find((s) => s.name === name);
      const seconds = previous ? (current.updatedAt - previous.updatedAt) / 1000 : 0;
      for (const [version, outcomes] of Object.entries(script.calls)) {
        const count = (o: Readonly<Record<string, number>> | undefined, which?: string[]) => sum(Object.entries(o ?? {}).filter(([k]) => !which || which.includes(k)).map(([, n]) => n));
        const was = previous ? before?.calls[version] : undefined;
        callsPerSec[version] = round((callsPerSec[version] ?? 0) + perSecond(previous ? count(was) : undefined, count(outcomes), seconds));
        errorsPerSec[version] = round((errorsPerSec[version] ?? 0) + perSecond(previous ? count(was, SCRIPT_FAILURES) : undefined, count(outcomes, SCRIPT_FAILURES), seconds));
      }
    }
    return {
      name,
      ...(active
        ? { kind: active.kind, stable: active.stable, changedAt: active.changedAt, reason: active.reason, ...(active.canary ? { canary: { version: active.canary.version, share: active.canary.share } } : {}) }
        : {}),
      serving: serving.sort((a, b) => a.instance.localeCompare(b.instance)),
      callsPerSec,
      errorsPerSec,
    };
  });
}

function jobView(readings: readonly JobReading[], processors: readonly InstanceReadings<ProcessorStatus>[]): JobView {
  // The newest processor's graph: after a rolling upgrade that is the new version's.
  const newest = readings.reduce((a, b) => (b.current === a.current ? a : b));
  const { name, lane, nodes, edges } = newest.current;
  const rate = (value: (job: StatusJob) => number) => round(sum(readings.map((r) => perSecond(r.previous && value(r.previous), value(r.current), r.seconds))));
  const total = (value: (job: StatusJob) => number) => sum(readings.map((r) => value(r.current)));
  const p99 = (histogram: (job: StatusJob) => StatusHistogram | undefined) =>
    ms(intervalQuantile(
      newest.bounds,
      addHistograms(readings.map((r) => (r.previous ? histogram(r.previous) : histogram(r.current)))),
      addHistograms(readings.map((r) => histogram(r.current))),
      0.99,
    ));
  const figure = (inOf: (job: StatusJob) => number, outOf: (job: StatusJob) => number, errorsOf: (job: StatusJob) => number, histogram?: (job: StatusJob) => StatusHistogram | undefined): NodeFigures => {
    const p99Ms = histogram ? p99(histogram) : undefined;
    return {
      inPerSec: rate(inOf),
      outPerSec: rate(outOf),
      errorsPerSec: rate(errorsOf),
      ...(p99Ms !== undefined ? { p99Ms } : {}),
      inTotal: total(inOf),
      outTotal: total(outOf),
      errorsTotal: total(errorsOf),
    };
  };
  const routeRecords = (job: StatusJob, results?: readonly string[]) =>
    sum(Object.values(job.routes).flatMap((byResult) => Object.entries(byResult).filter(([result]) => !results || results.includes(result)).map(([, n]) => n)));
  const operatorNodes = nodes.filter((n) => n.kind !== 'source' && n.kind !== 'sink');
  const figures: Record<string, NodeFigures> = {};
  const zero = () => 0;
  for (const node of nodes) {
    if (node.kind === 'source') {
      if (typeof node.route === 'string') {
        figures[node.id] = figure(
          (j) => routeRecords(j),
          (j) => routeRecords(j, ['processed', 'failed']),
          (j) => routeRecords(j, FAILED),
          (j) => addHistograms(Object.values(j.routeDurations)),
        );
      } else {
        const first = operatorNodes[0]?.name;
        const read = (j: StatusJob) => (first ? (j.operators[first]?.in ?? 0) : 0);
        figures[node.id] = figure(read, read, zero);
      }
    } else if (node.kind === 'sink') {
      const last = operatorNodes.at(-1)?.name;
      const topic = typeof node.topic === 'string' ? node.topic : undefined;
      const read = (j: StatusJob) => (topic && j.outputs[topic] !== undefined ? j.outputs[topic] : last ? (j.operators[last]?.out ?? 0) : 0);
      figures[node.id] = figure(read, read, zero);
    } else {
      figures[node.id] = figure(
        (j) => j.operators[node.name]?.in ?? 0,
        (j) => j.operators[node.name]?.out ?? 0,
        zero,
        (j) => j.operators[node.name]?.duration,
      );
    }
  }
  const partitions: PartitionView[] = [];
  for (const { current } of processors) {
    if (!current.jobs.some((j) => j.name === name)) continue;
    for (const p of current.lanes.find((l) => l.name === lane)?.partitions ?? []) {
      partitions.push({
        partition: p.partition,
        instance: current.instance,
        ...(p.lag !== undefined ? { lag: p.lag } : {}),
        paused: p.paused === true,
        ...(p.watermarkLagSeconds !== undefined ? { watermarkLagSeconds: p.watermarkLagSeconds } : {}),
      });
    }
  }
  partitions.sort((a, b) => a.partition - b.partition || a.instance.localeCompare(b.instance));
  const laneTopic = processors.flatMap((p) => p.current.lanes).find((l) => l.name === lane)?.topic ?? '';
  return {
    name,
    lane,
    topic: laneTopic,
    nodes,
    edges,
    instances: readings.map((r) => r.instance).sort(),
    figures,
    partitions,
    commits: {
      committed: total((j) => j.commits.committed),
      aborted: total((j) => j.commits.aborted),
      committedPerSec: rate((j) => j.commits.committed),
      abortedPerSec: rate((j) => j.commits.aborted),
    },
    late: { total: total((j) => j.lateEvents), perSec: rate((j) => j.lateEvents) },
  };
}

function gatewayView({ current, previous }: InstanceReadings<GatewayStatus>): GatewayView {
  const seconds = previous ? (current.updatedAt - previous.updatedAt) / 1000 : 0;
  const routes = Object.entries(current.requests).map<GatewayRouteView>(([route, totals]) => {
    const before = previous?.requests[route];
    const p99Ms = ms(intervalQuantile(current.bounds, previous?.durations[route] ?? (previous ? undefined : current.durations[route]), current.durations[route], 0.99));
    return {
      route,
      path: route === current.eventRoute ? `/v1/${route}, /event` : `/v1/${route}`,
      perSec: Object.fromEntries(Object.entries(totals).map(([status, n]) => [status, round(perSecond(previous ? (before?.[status] ?? 0) : undefined, n, seconds))])),
      totals,
      ...(p99Ms !== undefined ? { p99Ms } : {}),
    };
  });
  const rejected = (s: GatewayStatus) => sum(Object.values(s.rejections));
  return {
    instance: current.instance,
    updatedAt: current.updatedAt,
    inflight: current.inflight,
    inflightLimit: current.inflightLimit,
    replyPartition: current.replyPartition,
    rejectionsPerSec: round(perSecond(previous && rejected(previous), rejected(current), seconds)),
    rejections: current.rejections,
    routes: routes.sort((a, b) => a.route.localeCompare(b.route)),
  };
}
