import { Dashboard, query } from './panel';
import { gauge, meanSince, quantile, rate } from './promql';

/**
 * Inside the processors: records, jobs and operators, partitions, keyed state, Kafka produce.
 * The processors label series with their stream job as `job`; Prometheus keeps its own target
 * label `job` and renames theirs to `exported_job`, which is what these panels group by.
 */
export const processing: Dashboard = {
  uid: 'flowgate-processing',
  title: 'flowgate / Processing',
  description: 'Stream processors: records per route, throughput and time per job and operator, partitions and backpressure, transactions and keyed state.',
  rows: [
    {
      title: 'Request records',
      panels: [
        {
          title: 'Records by route and result',
          description: 'Request records per second: processed, rejected (the route refused the body), failed (handler threw), expired (deadline passed before handling), invalid.',
          unit: 'ops',
          queries: [query(rate('flowgate_processor_records_total', 'processor', ['route', 'result']), '{{route}} {{result}}')],
        },
        {
          title: 'Handler p99 by route',
          description: 'Time a route handler took, 99th percentile.',
          unit: 's',
          queries: [query(quantile(0.99, 'flowgate_processor_handler_duration_seconds', 'processor', ['route']), '{{route}}')],
        },
        {
          title: 'Access-log events ingested',
          description: 'Access-log lines uploaded to the gateway, accepted (put on Kafka) or rejected (unparsable).',
          unit: 'ops',
          queries: [query(rate('flowgate_gateway_ingested_events_total', 'gateway', ['result']), '{{result}}')],
        },
      ],
    },
    {
      title: 'Jobs and operators',
      panels: [
        {
          title: 'Operator throughput',
          description: 'Values into and out of each operator of each job, per second (GET /topology on a processor shows the graph).',
          unit: 'ops',
          queries: [
            query(rate('flowgate_processor_operator_records_total', 'processor', ['exported_job', 'operator', 'direction']), '{{exported_job}}/{{operator}} {{direction}}'),
          ],
        },
        {
          title: 'Operator p99 time',
          description: 'Time an operator took for the values of one input record, 99th percentile.',
          unit: 's',
          queries: [query(quantile(0.99, 'flowgate_processor_operator_duration_seconds', 'processor', ['exported_job', 'operator']), '{{exported_job}}/{{operator}}')],
        },
        {
          title: 'Records written by keyed jobs',
          description: 'Records keyed jobs wrote per second, by job and topic (without the prefix); ip-counts.late are late events.',
          unit: 'ops',
          queries: [query(rate('flowgate_processor_output_records_total', 'processor', ['exported_job', 'topic']), '{{exported_job}} → {{topic}}')],
        },
      ],
    },
    {
      title: 'Partitions and backpressure',
      panels: [
        {
          title: 'Assigned partitions per processor',
          description: 'Request partitions each processor owns; processors beyond the partition count own none.',
          unit: 'short',
          queries: [query(gauge('flowgate_processor_assigned_partitions', 'processor', ['instance']), '{{instance}}')],
        },
        {
          title: 'Paused partitions',
          description: 'Partitions paused because their queue is full (FLOWGATE_PARTITION_QUEUE): Kafka holds the backlog.',
          unit: 'short',
          queries: [query(gauge('flowgate_processor_paused_partitions', 'processor', ['instance']), '{{instance}}')],
        },
        {
          title: 'Queued records',
          description: 'Records fetched and not yet finished, over all partitions of a processor.',
          unit: 'short',
          queries: [query(gauge('flowgate_processor_queued_records', 'processor', ['instance']), '{{instance}}')],
        },
        {
          title: 'Consumer lag per partition',
          description: 'Records between the consumer group\'s committed offset and the end of each owned partition, by stream job (requests: the shared requests topic).',
          unit: 'short',
          queries: [query(gauge('flowgate_processor_partition_lag', 'processor', ['exported_job', 'partition'], 'max'), '{{exported_job}} p{{partition}}')],
        },
        {
          title: 'Paused partitions of the requests topic',
          description: '1 while an owned partition is paused because its queue is full.',
          unit: 'short',
          queries: [query(gauge('flowgate_processor_partition_paused', 'processor', ['partition'], 'max'), 'p{{partition}}')],
        },
        {
          title: 'Watermark lag per partition',
          description: 'Wall clock minus the event-time watermark of each partition of a windowed job: how far behind event time the windows are.',
          unit: 's',
          queries: [query(gauge('flowgate_processor_watermark_lag_seconds', 'processor', ['exported_job', 'partition'], 'max'), '{{exported_job}} p{{partition}}')],
        },
        {
          title: 'Rebalances',
          description: 'Consumer group joins per second; each one moves partitions (and keyed state) between processors.',
          unit: 'ops',
          queries: [query(rate('flowgate_processor_rebalances_total', 'processor', ['instance']), '{{instance}}')],
        },
      ],
    },
    {
      title: 'Transactions and keyed state',
      panels: [
        {
          title: 'Batch commits by job and result',
          description: 'Batches of keyed jobs made durable per second (exactly-once: Kafka transactions), committed or aborted.',
          unit: 'ops',
          queries: [query(rate('flowgate_processor_batch_commits_total', 'processor', ['exported_job', 'result']), '{{exported_job}} {{result}}')],
        },
        {
          title: 'Batch p99 time by job',
          description: 'Time to process and commit one batch of a keyed job, 99th percentile.',
          unit: 's',
          queries: [query(quantile(0.99, 'flowgate_processor_batch_duration_seconds', 'processor', ['exported_job']), '{{exported_job}}')],
        },
        {
          title: 'State entries by job',
          description: 'Keyed state entries held for the partitions the processors own.',
          unit: 'short',
          queries: [query(gauge('flowgate_processor_state_entries', 'processor', ['exported_job']), '{{exported_job}}')],
        },
        {
          title: 'Mean state restore time by job',
          description: 'Mean time to rebuild a partition\'s state from its changelog after an assignment, since each processor started.',
          unit: 's',
          queries: [query(meanSince('flowgate_processor_state_restore_seconds', 'processor', ['exported_job']), '{{exported_job}}')],
        },
      ],
    },
    {
      title: 'Scripts',
      panels: [
        {
          title: 'Script calls by version and outcome',
          description: 'Calls of hot-swapped scripts per second: ok, rejected (a RouteError below 500), error, budget (over its CPU time), memory (over its cap). A canary shows as a second version.',
          unit: 'ops',
          queries: [query(rate('flowgate_script_calls_total', 'processor', ['script', 'version', 'outcome']), '{{script}}@{{version}} {{outcome}}')],
        },
        {
          title: 'Script call p99 by version',
          description: 'Time one script call took (its kv and http calls included), 99th percentile.',
          unit: 's',
          queries: [query(quantile(0.99, 'flowgate_script_call_duration_seconds', 'processor', ['script', 'version']), '{{script}}@{{version}}')],
        },
        {
          title: 'Active script versions',
          description: 'Version each processor serves, stable and canary: processors of one colour should agree within a second of an activation.',
          unit: 'short',
          queries: [query(gauge('flowgate_script_active_version', 'processor', ['script', 'role', 'instance'], 'max'), '{{script}} {{role}} {{instance}}')],
        },
        {
          title: 'Mean swap delay by script',
          description: 'From an activation (written by a gateway) to a processor serving it — read, loaded, examples run, swapped — mean since each processor started.',
          unit: 's',
          queries: [query(meanSince('flowgate_script_swap_delay_seconds', 'processor', ['script']), '{{script}}')],
        },
        {
          title: 'Script admin API calls',
          description: 'Calls of the gateways\' script admin API (uploads, activations, canaries, reads) per second, by action and status; 401s are refused tokens.',
          unit: 'ops',
          queries: [query(rate('flowgate_admin_requests_total', 'gateway', ['action', 'status']), '{{action}} {{status}}')],
        },
      ],
    },
    {
      title: 'Kafka produce',
      panels: [
        {
          title: 'Produce p99 time',
          description: 'Time from a produce request sent to its acknowledgement, 99th percentile, gateways and processors.',
          unit: 's',
          queries: [
            query(quantile(0.99, 'flowgate_gateway_produce_duration_seconds', 'gateway'), 'gateway'),
            query(quantile(0.99, 'flowgate_processor_produce_duration_seconds', 'processor'), 'processor'),
          ],
        },
        {
          title: 'Records per produce request (median)',
          description: 'Batching at work: records per Kafka produce request, median.',
          unit: 'short',
          queries: [
            query(quantile(0.5, 'flowgate_gateway_produce_batch_size', 'gateway'), 'gateway'),
            query(quantile(0.5, 'flowgate_processor_produce_batch_size', 'processor'), 'processor'),
          ],
        },
        {
          title: 'Produce errors',
          description: 'Produce requests that failed, per second.',
          unit: 'ops',
          queries: [
            query(rate('flowgate_gateway_produce_errors_total', 'gateway'), 'gateway'),
            query(rate('flowgate_processor_produce_errors_total', 'processor'), 'processor'),
          ],
        },
      ],
    },
  ],
};
