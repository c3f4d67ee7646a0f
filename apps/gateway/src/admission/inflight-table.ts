/** How a pending request ended. Exactly one per admitted request. */
export type Outcome =
  // scriptVersion: `fg-script-version` of a route script's reply, passed on to the caller.
  | { readonly kind: 'reply'; readonly status: number; readonly contentType: string; readonly body: Buffer; readonly scriptVersion?: string }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'cancelled' };

export interface Pending {
  readonly requestId: string;
  /** Settles once: with the reply, at the deadline, or on `cancel()`. */
  readonly outcome: Promise<Outcome>;
  /** The caller went away: free the slot now. No-op once settled. */
  cancel(): void;
}

export type Admission = Pending | 'full' | 'duplicate' | 'closed';
export type Delivery = 'delivered' | 'late' | 'orphan';

interface Entry {
  readonly resolve: (outcome: Outcome) => void;
  readonly timer: NodeJS.Timeout;
}

interface Waiter {
  readonly grant: (admitted: boolean) => void;
  readonly timer: NodeJS.Timeout;
}

export interface InflightTableOptions {
  /** Most pending requests at once (FLOWGATE_MAX_INFLIGHT). */
  readonly capacity: number;
  /** How long `admit` waits for a free slot when full. */
  readonly admissionWaitMs: number;
  /** Most callers waiting for a slot; beyond it `admit` says full at once, so memory stays bounded. */
  readonly maxWaiters: number;
  /** How many finished ids to remember so a late reply is told apart from an unknown one. */
  readonly recentCapacity: number;
}

/**
 * The gateway's pending-request table: the seed's 1024-entry BlockingMap with its flaws fixed.
 * It is bounded and fails fast (a full table makes callers wait `admissionWaitMs` at most, then
 * refuses), every entry carries its own deadline timer that is cleared the moment the entry
 * settles, and a reply for an id it no longer holds is reported as late or orphan, never
 * delivered twice.
 */
export class InflightTable {
  private readonly entries = new Map<string, Entry>();
  private readonly waiters: Waiter[] = [];
  /** Ids that settled recently, oldest first (a Map keeps insertion order). */
  private readonly recent = new Map<string, true>();
  /** Slots handed to a waiter that has not inserted its entry yet. */
  private reserved = 0;
  private closed = false;
  private drainWaiters: (() => void)[] = [];

  constructor(private readonly options: InflightTableOptions) {}

  get size(): number {
    return this.entries.size;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /**
   * Whether `admit` would answer 'full' at once right now: every slot taken, and no wait allowed
   * (admissionWaitMs 0) or no room left to wait. Lets the HTTP layer refuse before reading the body.
   */
  get refusesAtOnce(): boolean {
    return !this.closed
      && this.entries.size + this.reserved >= this.options.capacity
      && (this.options.admissionWaitMs === 0 || this.waiters.length >= this.options.maxWaiters);
  }

  async admit(requestId: string, deadline: number): Promise<Admission> {
    if (this.closed) return 'closed';
    if (this.entries.has(requestId)) return 'duplicate';
    if (this.entries.size + this.reserved >= this.options.capacity) {
      if (!(await this.waitForSlot())) return this.closed ? 'closed' : 'full';
      this.reserved--;
      // A concurrent request with the same id may have been admitted while we waited.
      if (this.entries.has(requestId)) {
        this.handOnSlot();
        return 'duplicate';
      }
    }
    return this.insert(requestId, deadline);
  }

  /** Hands a reply to the waiting request. */
  deliver(requestId: string, reply: Omit<Extract<Outcome, { kind: 'reply' }>, 'kind'>): Delivery {
    const entry = this.entries.get(requestId);
    if (!entry) return this.recent.has(requestId) ? 'late' : 'orphan';
    entry.resolve({ kind: 'reply', ...reply });
    return 'delivered';
  }

  /** Refuses new requests and waiting callers; resolves when every pending request has settled. */
  drain(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.grant(false);
    }
    if (this.entries.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private insert(requestId: string, deadline: number): Pending {
    let settle!: (outcome: Outcome) => void;
    const outcome = new Promise<Outcome>((resolve) => {
      settle = resolve;
    });
    const finish = (result: Outcome) => {
      if (this.entries.get(requestId) !== entry) return;
      clearTimeout(entry.timer);
      this.entries.delete(requestId);
      this.remember(requestId);
      settle(result);
      this.handOnSlot();
    };
    const timer = setTimeout(() => finish({ kind: 'timeout' }), Math.max(0, deadline - Date.now()));
    const entry: Entry = { resolve: finish, timer };
    this.entries.set(requestId, entry);
    return { requestId, outcome, cancel: () => finish({ kind: 'cancelled' }) };
  }

  private waitForSlot(): Promise<boolean> {
    if (this.options.admissionWaitMs === 0 || this.waiters.length >= this.options.maxWaiters) {
      return Promise.resolve(false);
    }
    return new Promise((resolve) => {
      const waiter: Waiter = {
        grant: resolve,
        timer: setTimeout(() => {
          const index = this.waiters.indexOf(waiter);
          if (index >= 0) this.waiters.splice(index, 1);
          resolve(false);
        }, this.options.admissionWaitMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** A slot came free: give it to the longest waiter, or report drained. */
  private handOnSlot(): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      clearTimeout(waiter.timer);
      // The waiter resumes a microtask later; reserve the slot so nobody takes it meanwhile.
      this.reserved++;
      waiter.grant(true);
      return;
    }
    if (this.closed && this.entries.size === 0) for (const resolve of this.drainWaiters.splice(0)) resolve();
  }

  private remember(requestId: string): void {
    this.recent.set(requestId, true);
    if (this.recent.size > this.options.recentCapacity) {
      this.recent.delete(this.recent.keys().next().value as string);
    }
  }
}
