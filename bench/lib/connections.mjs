// How many TCP connections a load generator holds to the server under test, read from the
// kernel's socket tables (/proc/net/tcp and tcp6) while a step runs: the same measurement for
// every generator, whatever it reports about itself.
import { readFileSync } from 'node:fs';

const ESTABLISHED = '01';

/**
 * The remote endpoints ("hexaddr:hexport") of the ESTABLISHED sockets whose local port is `port`
 * in one /proc/net/tcp or tcp6 text: the server's side of each client connection.
 */
export function establishedTo(table, port) {
  const wanted = port.toString(16).toUpperCase().padStart(4, '0');
  const remotes = [];
  for (const line of table.split('\n').slice(1)) {
    const [, local, remote, state] = line.trim().split(/\s+/);
    if (state === ESTABLISHED && local?.endsWith(`:${wanted}`)) remotes.push(remote);
  }
  return remotes;
}

/**
 * Folds samples of `establishedTo` into { peak: the most open at one sample, opened: distinct
 * client endpoints seen (connections opened during the samples, short-lived ones between two
 * samples excepted), samples }.
 */
export function connectionCounts(samples) {
  const seen = new Set();
  let peak = 0;
  for (const remotes of samples) {
    peak = Math.max(peak, remotes.length);
    for (const remote of remotes) seen.add(remote);
  }
  return { peak, opened: seen.size, samples: samples.length };
}

/** Samples the connections to `port` every `intervalMs` until the returned stop() gives their counts. */
export function watchConnections(port, intervalMs = 250) {
  const samples = [];
  const sample = () => {
    const remotes = [];
    for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
      try {
        remotes.push(...establishedTo(readFileSync(file, 'utf8'), port));
      } catch (error) {
        // A kernel without IPv6 has no tcp6 table: nothing to count there.
        if (error.code !== 'ENOENT') throw error;
      }
    }
    samples.push(remotes);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return () => {
    clearInterval(timer);
    sample();
    return connectionCounts(samples);
  };
}
