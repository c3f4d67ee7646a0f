// Step script of the `alert-routing` job: sends each geofence alarm to the channel topics its type
// is routed to (version 1: SMS and e-mail). Returns null: nothing flows on to the job's sink.
// Runs inside the flowgate sandbox: `flowgate` (emit) is its global.

const CHANNELS = new Map(Object.entries({
  enter: ['alerts-sms', 'alerts-email'],
  leave: ['alerts-email'],
}));

export default function alertRouting(alarm) {
  for (const topic of CHANNELS.get(alarm?.type) ?? []) flowgate.emit(topic, String(alarm.vehicle), alarm);
  return null;
}
