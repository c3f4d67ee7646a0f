import type { Job, Operator } from './job';
import { describeWindowSpec, slideOf } from '../operators/window-assigner';

export interface TopologyNode {
  readonly id: string;
  readonly kind: 'source' | 'sink' | Operator['kind'];
  readonly name: string;
  /** State stores a process, window or script operator reads and writes. */
  readonly stores?: readonly string[];
  /** Route or topic of a source or sink. */
  readonly route?: string;
  readonly topic?: string;
  /** A window operator's windows, e.g. `{ type: 'sliding', sizeMs: 10000, slideMs: 5000, allowedLatenessMs: 5000, ... }`. */
  readonly window?: {
    readonly type: 'tumbling' | 'sliding';
    readonly sizeMs: number;
    readonly slideMs: number;
    readonly allowedLatenessMs: number;
    readonly retainMs: number;
    readonly lateTo?: string;
    readonly description: string;
  };
  /** Routes a window operator answers from its state instead of aggregating them. */
  readonly queries?: readonly string[];
  /** An async operator's bound and ordering. */
  readonly concurrency?: number;
  readonly ordered?: 'key' | 'none';
  /** The script a script step runs (whichever version is active), and the topics it may emit to. */
  readonly script?: string;
  readonly emits?: readonly string[];
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
      ? { id, kind: 'source', name: `route ${job.source.route.name}`, route: job.source.route.name }
      : job.source.kind === 'routes'
        ? { id, kind: 'source', name: `routes ${names(job.source.routes)}`, route: job.source.routes.map((r) => r.name).join(',') }
        : { id, kind: 'source', name: `topic ${job.source.topic}`, topic: job.source.topic };
  const operators = job.operators.map<TopologyNode>((op, i) => ({ id: `${job.name}/${i + 1}`, kind: op.kind, name: op.name, ...details(op) }));
  const sink: TopologyNode =
    job.sink.kind === 'reply'
      ? { id: `${job.name}/sink`, kind: 'sink', name: 'reply to caller' }
      : { id: `${job.name}/sink`, kind: 'sink', name: `topic ${job.sink.topic}`, topic: job.sink.topic };
  const nodes = [source, ...operators, sink];
  const edges = nodes.slice(1).map((node, i) => ({ from: nodes[i].id, to: node.id }));
  return { name: job.name, nodes, edges };
}

function details(op: Operator): Partial<TopologyNode> {
  switch (op.kind) {
    case 'process':
      return { stores: op.stores };
    case 'script':
      return { script: op.script, ...(op.stores.length > 0 ? { stores: op.stores } : {}), ...(op.emits.length > 0 ? { emits: op.emits } : {}) };
    case 'mapAsync':
      return { concurrency: op.concurrency, ordered: op.ordered };
    case 'window':
      return {
        stores: [op.name],
        window: {
          type: op.window.type,
          sizeMs: op.window.sizeMs,
          slideMs: slideOf(op.window),
          allowedLatenessMs: op.allowedLatenessMs,
          retainMs: op.retainMs,
          ...(op.lateTo ? { lateTo: op.lateTo } : {}),
          description: describeWindowSpec(op.window),
        },
        ...(op.query ? { queries: op.query.routes } : {}),
      };
    default:
      return {};
  }
}

function names(routes: readonly { readonly name: string }[]): string {
  return routes.map((r) => r.name).join(', ');
}
