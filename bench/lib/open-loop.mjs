// The open-loop schedule shared by the HTTP load generator and the floor's Kafka client: request i
// is due at start + i / rate whatever the system does, and its latency is measured from that due
// time, not from when it was sent, so a stalled system cannot hide its stall (no coordinated
// omission).

/** Status recorded for a request that failed without an HTTP status (timeout, reset, ...). */
export const ERROR = -1;

/**
 * Starts offering `send(i)` at `rate` per second for `seconds`. `send` resolves with a status code
 * (200 = success), or with { status, requestTs, responseTs } (the echo answer's timestamps, epoch
 * ms, for the legs of the latency), or rejects (counted as an error).
 * Returns { scheduled, done }: `scheduled` resolves when the last request has been sent (or
 * `shouldStop()` said stop), `done` with the raw result once every sent request has completed.
 *
 * @param {{ rate: number, seconds: number, send: (i: number) => Promise<number>,
 *   shouldStop?: () => boolean, onSend?: (i: number) => void,
 *   onDone?: (i: number, status: number, latencyMs: number) => void, graceMs?: number }} options
 * `graceMs` bounds the wait after the schedule ends: what is still out then counts as an error
 * of kind 'abandoned', so a drowning system (or generator) cannot stretch the run.
 */
export function startOpenLoop({ rate, seconds, send, shouldStop = () => false, onSend, onDone, graceMs = Infinity }) {
  const total = Math.max(0, Math.round(rate * seconds));
  const interval = 1000 / rate;
  const latencies = new Float64Array(total);
  const status = new Int32Array(total);
  const errorKinds = new Map();
  // Legs, from the echo answer's timestamps: due -> request_timestamp (in), request_timestamp ->
  // response_timestamp (to the handler), response_timestamp -> received (back). NaN when unknown.
  const legs = { in: new Float64Array(total).fill(NaN), handler: new Float64Array(total).fill(NaN), back: new Float64Array(total).fill(NaN) };
  let next = 0;
  let completed = 0;
  let schedulingOver = false;
  let resolveScheduled;
  let resolveDone;
  const scheduled = new Promise((resolve) => (resolveScheduled = resolve));
  const finished = new Promise((resolve) => (resolveDone = resolve));
  const started = performance.now();
  let lastDone = started;

  const maybeFinish = () => {
    if (schedulingOver && completed === next) resolveDone();
  };
  const origin = performance.timeOrigin;
  const answered = new Uint8Array(total);
  const complete = (i, answer) => {
    if (answered[i]) return;
    answered[i] = 1;
    lastDone = performance.now();
    const due = started + i * interval;
    latencies[i] = lastDone - due;
    const code = typeof answer === 'number' ? answer : answer.status;
    status[i] = code;
    if (typeof answer === 'object' && Number.isFinite(answer.requestTs) && Number.isFinite(answer.responseTs)) {
      legs.in[i] = answer.requestTs - (origin + due);
      legs.handler[i] = answer.responseTs - answer.requestTs;
      legs.back[i] = origin + lastDone - answer.responseTs;
    }
    completed++;
    onDone?.(i, code, latencies[i]);
    maybeFinish();
  };
  const sendLag = new Float64Array(total);
  const fire = (i) => {
    sendLag[i] = performance.now() - (started + i * interval);
    onSend?.(i);
    let promise;
    try {
      promise = send(i);
    } catch {
      promise = Promise.reject();
    }
    promise.then(
      (answer) => complete(i, answer),
      (error) => {
        const kind = (typeof error?.code === 'string' ? error.code : error?.name) ?? 'unknown';
        errorKinds.set(kind, (errorKinds.get(kind) ?? 0) + 1);
        complete(i, ERROR);
      },
    );
  };
  // Send everything that is due, then sleep until the next one is: a 1 ms tick keeps the
  // schedule even at thousands of requests per second.
  const tick = () => {
    const now = performance.now();
    while (next < total && started + next * interval <= now) fire(next++);
    if (next < total && !shouldStop()) {
      setTimeout(tick, 1);
      return;
    }
    schedulingOver = true;
    resolveScheduled();
    maybeFinish();
    if (Number.isFinite(graceMs) && completed < next) {
      const timer = setTimeout(() => {
        for (let i = 0; i < next; i++) {
          if (answered[i]) continue;
          errorKinds.set('abandoned', (errorKinds.get('abandoned') ?? 0) + 1);
          complete(i, ERROR);
        }
      }, graceMs);
      finished.then(() => clearTimeout(timer));
    }
  };
  tick();

  const done = finished.then(() => ({
    rate,
    seconds,
    sent: next,
    latencies: latencies.subarray(0, next),
    status: status.subarray(0, next),
    sendLag: sendLag.subarray(0, next),
    errorKinds: Object.fromEntries(errorKinds),
    legs: { in: legs.in.subarray(0, next), handler: legs.handler.subarray(0, next), back: legs.back.subarray(0, next) },
    intervalMs: interval,
    elapsedS: (lastDone - started) / 1000,
  }));
  return { scheduled, done };
}

/** Quantile of an ascending-sorted array (nearest rank, as the original load.mjs did). */
export function quantile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function stats(values) {
  const sorted = Float64Array.from(values).sort();
  return {
    count: sorted.length,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    p999: quantile(sorted, 0.999),
    max: sorted.length ? sorted[sorted.length - 1] : 0,
  };
}

/**
 * Turns a raw result into the numbers the report uses: overall latency quantiles (every request,
 * whatever its outcome), quantiles per status code ('error' for failures without a status), and
 * optionally a per-bucket timeline by completion time (goodput per second). With `objectiveMs`,
 * also the goodput at that objective: 200s answered within `objectiveMs` of when they were due,
 * per second of offered load (and per bucket, `okInObjective`).
 */
export function summarize(raw, { timelineBucketS, objectiveMs } = {}) {
  const { latencies, status, sent, elapsedS, intervalMs } = raw;
  const overall = stats(latencies);
  const groups = new Map();
  for (let i = 0; i < sent; i++) {
    const key = status[i] === ERROR ? 'error' : String(status[i]);
    let list = groups.get(key);
    if (!list) groups.set(key, (list = []));
    list.push(latencies[i]);
  }
  const byStatus = Object.fromEntries([...groups].map(([key, list]) => [key, stats(list)]));
  // The same from when the generator actually sent each request (its own schedule lag taken out;
  // waiting for a free client connection still counts): what the server and the loopback took.
  // Set apart so that a busy generator is not mistaken for a slow server.
  let byStatusFromSend;
  if (raw.sendLag) {
    const fromSend = new Map();
    for (let i = 0; i < sent; i++) {
      const key = status[i] === ERROR ? 'error' : String(status[i]);
      let list = fromSend.get(key);
      if (!list) fromSend.set(key, (list = []));
      list.push(latencies[i] - raw.sendLag[i]);
    }
    byStatusFromSend = Object.fromEntries([...fromSend].map(([key, list]) => [key, stats(list)]));
  }
  const statuses = Object.fromEntries([...groups].map(([key, list]) => [key, list.length]));
  const ok = statuses['200'] ?? 0;
  const result = {
    rate: raw.rate,
    seconds: raw.seconds,
    sent,
    ok,
    errors: statuses.error ?? 0,
    statuses,
    throughput: elapsedS > 0 ? ok / elapsedS : 0,
    p50: overall.p50,
    p99: overall.p99,
    p999: overall.p999,
    max: overall.max,
    byStatus,
    ...(byStatusFromSend ? { byStatusFromSend } : {}),
    ...(raw.errorKinds && Object.keys(raw.errorKinds).length > 0 ? { errorKinds: raw.errorKinds } : {}),
    ...(raw.clientQueue ? { clientQueue: raw.clientQueue } : {}),
  };
  // Share answered 200 by 1 s after the last request was due: under 95% means a backlog grew.
  let okInTime = 0;
  for (let i = 0; i < sent; i++) {
    if (status[i] === 200 && i * intervalMs + latencies[i] <= raw.seconds * 1000 + 1000) okInTime++;
  }
  result.okInTimeShare = sent ? okInTime / sent : 0;
  // How late the generator itself sent (a busy generator shows here, not as server latency).
  if (raw.sendLag) {
    const lag = stats(raw.sendLag);
    result.sendLag = { p50: lag.p50, p99: lag.p99, max: lag.max };
  }
  if (raw.legs) {
    const legStats = {};
    for (const [name, values] of Object.entries(raw.legs)) {
      const known = values.filter((v, i) => status[i] === 200 && !Number.isNaN(v));
      if (known.length > 0) legStats[name] = stats(known);
    }
    if (Object.keys(legStats).length > 0) result.legs = legStats;
  }
  if (timelineBucketS) {
    const buckets = [];
    for (let i = 0; i < sent; i++) {
      const doneAtS = (i * intervalMs + latencies[i]) / 1000;
      const b = Math.floor(doneAtS / timelineBucketS);
      while (buckets.length <= b) buckets.push({ t: buckets.length * timelineBucketS, ok: 0, s503: 0, other: 0, errors: 0, ...(objectiveMs ? { okInObjective: 0 } : {}) });
      const code = status[i];
      if (code === 200) buckets[b].ok++;
      if (code === 200 && objectiveMs && latencies[i] <= objectiveMs) buckets[b].okInObjective++;
      else if (code === 503) buckets[b].s503++;
      else if (code === ERROR) buckets[b].errors++;
      else buckets[b].other++;
    }
    result.timeline = buckets;
    // 200s completed while the load was being offered, per second of offered load.
    let okDuring = 0;
    for (let i = 0; i < sent; i++) {
      if (status[i] === 200 && i * intervalMs + latencies[i] <= raw.seconds * 1000) okDuring++;
    }
    result.goodputDuring = okDuring / raw.seconds;
  }
  if (objectiveMs) {
    // Every request counted was due within the schedule, so one answered within the objective
    // was answered at most `objectiveMs` after the schedule ended.
    let okInObjective = 0;
    for (let i = 0; i < sent; i++) if (status[i] === 200 && latencies[i] <= objectiveMs) okInObjective++;
    result.objectiveMs = objectiveMs;
    result.goodputAtObjective = okInObjective / raw.seconds;
  }
  return result;
}
