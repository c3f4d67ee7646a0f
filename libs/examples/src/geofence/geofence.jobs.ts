import { defineJobs, job, JobContext } from '@flowgate/stream';

/** A vehicle position as its trackers write it to `<prefix>vehicle-positions`, keyed by vehicle. */
export interface VehiclePosition {
  readonly vehicle: string;
  readonly lat: number;
  readonly lon: number;
  /** When it was measured, epoch ms. */
  readonly ts: number;
}

/** What `geofence-rules` returns per change, written to `<prefix>alarms` keyed by vehicle. */
export interface GeofenceAlarm {
  readonly vehicle: string;
  readonly fence: string;
  readonly type: 'enter' | 'leave';
  readonly ts: number;
}

/** The channel topics `alert-routing` may send alarms to (created with the job, used or not by the active version). */
export const ALERT_CHANNELS = ['alerts-sms', 'alerts-email', 'alerts-push'] as const;

/**
 * Seed 003's geofence alarms: the rule is the script `geofence-rules`, the fences are data in its
 * KV namespace (drawn through the `fences` route script). Keyed by vehicle so the script keeps
 * which fences each vehicle is inside as keyed state (`inside`); positions must be written with
 * the vehicle as their Kafka key so a vehicle's positions meet in one partition, in order.
 */
export function geofenceJob(topic: JobContext['topic']) {
  return job('geofence')
    .fromTopic<VehiclePosition>(topic('vehicle-positions'))
    .keyBy('by vehicle', (position) => String(position.vehicle))
    .script<GeofenceAlarm>('geofence-rules', { stores: ['inside'] })
    .toTopic(topic('alarms'));
}

/**
 * Seed 003's alert routing: the script `alert-routing` sends each alarm to the channel topics its
 * rule names (`flowgate.emit`) and returns nothing. A new channel or an alarm type switched off is
 * a new version of the script; the job never changes. What the rule returns instead of routing
 * would go to `<prefix>alerts-unrouted` (the shipped versions return nothing).
 */
export function alertRoutingJob(topic: JobContext['topic']) {
  return job('alert-routing')
    .fromTopic<GeofenceAlarm>(topic('alarms'))
    .script('alert-routing', { emits: ALERT_CHANNELS.map(topic) })
    .toTopic(topic('alerts-unrouted'));
}

/** Both jobs: FLOWGATE_JOBS=dist/examples/geofence.js (the scripts are uploaded separately, see README.md). */
export const jobs = defineJobs(({ topic }) => [geofenceJob(topic), alertRoutingJob(topic)]);
