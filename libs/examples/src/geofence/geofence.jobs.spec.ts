import { describeJob, isKeyed, jobContext, jobsOfModule, placeJobs } from '@flowgate/stream';
import * as geofenceModule from './index';

describe('geofence job module', () => {
  const load = () => jobsOfModule('geofence', geofenceModule, jobContext('flowgate.'));

  it('has the geofence job: positions keyed by vehicle through the geofence-rules script (with its inside store) to alarms', async () => {
    const [geofence] = await load();
    expect(describeJob(geofence).nodes.map(({ kind, name, topic, script, stores }) => ({ kind, name, topic, script, stores }))).toEqual([
      { kind: 'source', name: 'topic flowgate.vehicle-positions', topic: 'flowgate.vehicle-positions', script: undefined, stores: undefined },
      { kind: 'keyBy', name: 'by vehicle', topic: undefined, script: undefined, stores: undefined },
      { kind: 'script', name: 'geofence-rules', topic: undefined, script: 'geofence-rules', stores: ['inside'] },
      { kind: 'sink', name: 'topic flowgate.alarms', topic: 'flowgate.alarms', script: undefined, stores: undefined },
    ]);
    expect(isKeyed(geofence)).toBe(true);
  });

  it('has the alert-routing job, whose channel topics the processor creates though only the script writes them', async () => {
    const jobs = await load();
    const routing = jobs[1];
    expect(describeJob(routing).nodes.map((n) => `${n.kind}:${n.name}`)).toEqual(['source:topic flowgate.alarms', 'script:alert-routing', 'sink:topic flowgate.alerts-unrouted']);
    expect(isKeyed(routing)).toBe(false);
    const placement = placeJobs(jobs, { prefix: 'flowgate.', partitions: 4 });
    expect(placement.partitioned.map((p) => `${p.job.name} < ${p.sourceTopic}`)).toEqual(['geofence < flowgate.vehicle-positions', 'alert-routing < flowgate.alarms']);
    expect(placement.topics.map((t) => t.topic)).toEqual(expect.arrayContaining([
      'flowgate.vehicle-positions', 'flowgate.geofence.changelog', 'flowgate.alarms', 'flowgate.alerts-sms', 'flowgate.alerts-email', 'flowgate.alerts-push', 'flowgate.alerts-unrouted',
    ]));
  });
});
