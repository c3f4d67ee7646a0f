import type { Job } from './job';

export interface TopologyNode {
  readonly id: string;
  readonly kind: 'source' | 'map' | 'filter' | 'flatMap' | 'keyBy' | 'process' | 'sink';
  readonly name: string;
  /** State stores a process operator reads and writes. */
  readonly stores?: readonly string[];
  /** Route or topic of a source or sink. */
  readonly route?: string;
  readonly topic?: string;
}

export interface Topology {
  readonly name: string;
  readonly nodes: readonly TopologyNode[];
  readonly edges: readonly { readonly from: string; readonly to: string }[];
}

/** The job as a graph, ready for a UI to draw (`GET /topology`). */
export function describeJob(job: Job): Topology {
  const id = `${job.name}/source`;
  const source: TopologyNode =
    job.source.kind === 'route'
      ? { id, kind: 'source', name: `route ${job.source.route}`, route: job.source.route }
      : job.source.kind === 'routes'
        ? { id, kind: 'source', name: `routes ${job.source.routes.join(', ')}`, route: job.source.routes.join(',') }
        : { id, kind: 'source', name: `topic ${job.source.topic}`, topic: job.source.topic };
  const operators = job.operators.map<TopologyNode>((op, i) => ({
    id: `${job.name}/${i + 1}`,
    kind: op.kind,
    name: op.name,
    ...(op.kind === 'process' ? { stores: op.stores } : {}),
  }));
  const sink: TopologyNode =
    job.sink.kind === 'reply'
      ? { id: `${job.name}/sink`, kind: 'sink', name: 'reply to caller' }
      : { id: `${job.name}/sink`, kind: 'sink', name: `topic ${job.sink.topic}`, topic: job.sink.topic };
  const nodes = [source, ...operators, sink];
  const edges = nodes.slice(1).map((node, i) => ({ from: nodes[i].id, to: node.id }));
  return { name: job.name, nodes, edges };
}
