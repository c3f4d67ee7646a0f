// Step script of the `alert-routing` job, version 2: the two changes of seed 003 as a rule change,
// with no restart of the job. Against version 1:
//   - a push channel: `enter` alarms also go to alerts-push (its manifest grants that topic);
//   - the `leave` alarm type is switched off: it is routed nowhere.
// Runs inside the flowgate sandbox: `flowgate` (emit) is its global.

const CHANNELS = new Map(Object.entries({
  enter: ['alerts-sms', 'alerts-email', 'alerts-push'],
  // leave: switched off
}));

export default function alertRouting(alarm) {
  for (const topic of CHANNELS.get(alarm?.type) ?? []) flowgate.emit(topic, String(alarm.vehicle), alarm);
  return null;
}
