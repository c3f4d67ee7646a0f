import { describe, expect, it } from '@jest/globals';
import { connectionCounts, establishedTo } from './connections.mjs';

// Port 18180 is 0x4704. Lines as the kernel writes them (/proc/net/tcp, tcp6), header first.
const tcp = [
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
  '   0: 0100007F:4704 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0', // listening
  '   1: 0100007F:4704 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0 20 4 30 10 -1', // server side of a client
  '   2: 0100007F:C350 0100007F:4704 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0 20 4 30 10 -1', // the client's side
  '   3: 0100007F:4704 0100007F:C351 06 00000000:00000000 03:00000000 00000000     0        0 0 3 0', // TIME_WAIT
  '   4: 0100007F:47040 0100007F:C352 01 00000000:00000000 00:00000000 00000000     0        0 4 1 0 20 4 30 10 -1', // another port
].join('\n');
const tcp6 = [
  '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
  '   0: 0000000000000000FFFF00000100007F:4704 0000000000000000FFFF00000100007F:D000 01 00000000:00000000 00:00000000 00000000     0        0 5 1 0 20 4 30 10 -1',
].join('\n');

describe('bench connection counting from the kernel\'s socket tables', () => {
  it('finds the established connections on the server\'s port, IPv4 and IPv4-mapped IPv6, not the client ends or TIME_WAIT', () => {
    expect(establishedTo(tcp, 18180)).toEqual(['0100007F:C350']);
    expect(establishedTo(tcp6, 18180)).toEqual(['0000000000000000FFFF00000100007F:D000']);
    expect(establishedTo(tcp, 18190)).toEqual([]);
  });

  it('folds samples into the peak open at once and the distinct connections seen', () => {
    expect(connectionCounts([['a', 'b'], ['a', 'b', 'c'], ['d']])).toEqual({ peak: 3, opened: 4, samples: 3 });
    expect(connectionCounts([])).toEqual({ peak: 0, opened: 0, samples: 0 });
  });
});
