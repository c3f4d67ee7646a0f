// CPU time and memory of processes, from /proc (Linux only): CPU seconds = utime + stime of
// /proc/<pid>/stat (all threads), RSS = VmRSS of /proc/<pid>/status, sampled on a timer.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { parseStat } from './cpu-account.mjs';

let clockTicks;
export function ticksPerSecond() {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** CPU seconds (user + system) a process has used so far, or undefined once it is gone. */
export function cpuSeconds(pid) {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'), ticksPerSecond()).cpuS;
  } catch {
    return undefined;
  }
}

/**
 * The main thread's scheduler figures, in seconds: { onCpu, waiting } — time it ran, and time it
 * was ready to run but waited for a CPU (/proc/<pid>/schedstat). For a Node process the main
 * thread is the event loop: `waiting` is delay added to every request by CPU contention alone.
 */
export function mainThreadSched(pid) {
  try {
    const [onCpu, waiting] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(' ').map(Number);
    return { onCpu: onCpu / 1e9, waiting: waiting / 1e9 };
  } catch {
    return undefined;
  }
}

/** Resident set size in MiB, or undefined once the process is gone. */
export function rssMiB(pid) {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The pid of the first process whose command line contains every one of `parts`. */
export function findPid(parts) {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (parts.every((part) => cmdline.includes(part))) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

/** Sum of cpuSeconds over pids (those still running). */
export const totalCpu = (pids) => pids.reduce((sum, pid) => sum + (cpuSeconds(pid) ?? 0), 0);

/**
 * Samples VmRSS of named processes every `intervalMs`: keeps each one's peak, and while a
 * recording is open, a timeline of the named processes.
 */
export class RssSampler {
  constructor(intervalMs = 100) {
    this.intervalMs = intervalMs;
    this.processes = new Map(); // name -> pid
    this.peaks = new Map(); // name -> MiB
    this.recording = undefined;
    this.timer = undefined;
  }

  track(name, pid) {
    if (pid !== undefined) this.processes.set(name, pid);
  }

  start() {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop() {
    clearInterval(this.timer);
  }

  /** Starts recording a timeline of `names`; returns a function that ends it and gives it back. */
  record(names) {
    const started = performance.now();
    const recording = { names, started, samples: [] };
    this.recording = recording;
    this.sample();
    return () => {
      this.sample();
      if (this.recording === recording) this.recording = undefined;
      return recording.samples;
    };
  }

  sample() {
    const now = performance.now();
    const row = {};
    for (const [name, pid] of this.processes) {
      const rss = rssMiB(pid);
      if (rss === undefined) continue;
      if (rss > (this.peaks.get(name) ?? 0)) this.peaks.set(name, rss);
      row[name] = rss;
    }
    if (this.recording) {
      const sample = { t: (now - this.recording.started) / 1000 };
      for (const name of this.recording.names) sample[name] = row[name];
      this.recording.samples.push(sample);
    }
  }
}
