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

/** Who a request is for: its route (for the stall signal) and its caller (for fair shares). */
export interface Requester {
  readonly route?: string;
  /** The value of FLOWGATE_FAIRNESS_HEADER; '' (the default) is one pool for everybody. */
  readonly caller?: string;
}

interface Entry {
  readonly resolve: (outcome: Outcome) => void;
  readonly timer: NodeJS.Timeout;
  readonly admittedAt: number;
  readonly route: string;
  readonly caller: string;
}

interface Waiter {
  readonly grant: (admitted: boolean) => void;
  readonly timer: NodeJS.Timeout;
  readonly caller: string;
}

export interface InflightTableOptions {
  /** The in-flight limit now (adaptive, or FLOWGATE_MAX_INFLIGHT when fixed). */
  readonly limit: () => number;
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
 *
 * Fair shares: a caller's share is the limit divided by the callers with requests in flight
 * (counting a newcomer). Below the limit anybody is admitted; at the limit, a caller still under
 * its share is admitted anyway (up to twice the limit in all), so a caller sending ten times more
 * than another fills only what the other leaves, and cannot starve it.
 */
export class InflightTable {
  private readonly entries = new Map<string, Entry>();
  private readonly waiters: Waiter[] = [];
  /** Ids that settled recently, oldest first (a Map keeps insertion order). */
  private readonly recent = new Map<string, true>();
  /** Requests in flight per caller; a caller leaves the map with its last one. */
  private readonly perCaller = new Map<string, number>();
  /** Most entries at once since `takePeak()`. */
  private peak = 0;
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

  /** Whether every slot of the limit is taken (a caller under its fair share may still get in). */
  get atLimit(): boolean {
    return this.entries.size + this.reserved >= this.options.limit();
  }

  /**
   * Whether `admit` would answer 'full' at once right now for `caller`: no slot for it, and no
   * wait allowed (admissionWaitMs 0) or no room left to wait. Lets the HTTP layer refuse before
   * reading the body.
   */
  refusesAtOnce(caller = ''): boolean {
    return !this.closed
      && !this.fits(caller)
      && (this.options.admissionWaitMs === 0 || this.waiters.length >= this.options.maxWaiters);
  }

  async admit(requestId: string, deadline: number, requester: Requester = {}): Promise<Admission> {
    if (this.closed) return 'closed';
    if (this.entries.has(requestId)) return 'duplicate';
    const caller = requester.caller ?? '';
    if (!this.fits(caller)) {
      if (!(await this.waitForSlot(caller))) return this.closed ? 'closed' : 'full';
      this.reserved--;
      // A concurrent request with the same id may have been admitted while we waited.
      if (this.entries.has(requestId)) {
        this.handOnSlot();
        return 'duplicate';
      }
    }
    return this.insert(requestId, deadline, requester.route ?? '', caller);
  }

  /** Most requests in flight at once since the last call; starts over from the current count. */
  takePeak(): number {
    const peak = Math.max(this.peak, this.entries.size);
    this.peak = this.entries.size;
    return peak;
  }

  /** When the request was admitted (epoch ms) and for which route; undefined when it is not pending. */
  admittedAt(requestId: string): { readonly at: number; readonly route: string } | undefined {
    const entry = this.entries.get(requestId);
    return entry && { at: entry.admittedAt, route: entry.route };
  }

  /**
   * The median, over pending requests whose route has an expected handling time, of their age
   * minus it: how long they have been waiting beyond their handling — queueing they have already
   * had, whether or not a reply ever comes. 0 when there are none.
   */
  stalledMs(now: number, expectedHandleMs: (route: string) => number | undefined): number {
    const excess: number[] = [];
    for (const entry of this.entries.values()) {
      const expected = expectedHandleMs(entry.route);
      if (expected !== undefined) excess.push(now - entry.admittedAt - expected);
    }
    if (excess.length === 0) return 0;
    excess.sort((a, b) => a - b);
    return Math.max(0, excess[Math.floor(excess.length / 2)]);
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

  /** Whether `caller` may take a slot now: below the limit, or under its fair share (within twice the limit). */
  private fits(caller: string): boolean {
    const taken = this.entries.size + this.reserved;
    const limit = this.options.limit();
    if (taken < limit) return true;
    const active = this.perCaller.size + (this.perCaller.has(caller) ? 0 : 1);
    if (active < 2 || taken >= 2 * limit) return false;
    return (this.perCaller.get(caller) ?? 0) < Math.max(1, Math.floor(limit / active));
  }

  private insert(requestId: string, deadline: number, route: string, caller: string): Pending {
    let settle!: (outcome: Outcome) => void;
    const outcome = new Promise<Outcome>((resolve) => {
      settle = resolve;
    });
    const finish = (result: Outcome) => {
      if (this.entries.get(requestId) !== entry) return;
      clearTimeout(entry.timer);
      this.entries.delete(requestId);
      const left = (this.perCaller.get(caller) ?? 1) - 1;
      if (left === 0) this.perCaller.delete(caller);
      else this.perCaller.set(caller, left);
      this.remember(requestId);
      settle(result);
      this.handOnSlot();
    };
    const timer = setTimeout(() => finish({ kind: 'timeout' }), Math.max(0, deadline - Date.now()));
    const entry: Entry = { resolve: finish, timer, admittedAt: Date.now(), route, caller };
    this.entries.set(requestId, entry);
    this.perCaller.set(caller, (this.perCaller.get(caller) ?? 0) + 1);
    this.peak = Math.max(this.peak, this.entries.size);
    return { requestId, outcome, cancel: () => finish({ kind: 'cancelled' }) };
  }

  private waitForSlot(caller: string): Promise<boolean> {
    if (this.options.admissionWaitMs === 0 || this.waiters.length >= this.options.maxWaiters) {
      return Promise.resolve(false);
    }
    return new Promise((resolve) => {
      const waiter: Waiter = {
        caller,
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

  /** A slot came free: give it to the longest waiter that fits (the limit may have fallen meanwhile), or report drained. */
  private handOnSlot(): void {
    const waiter = this.waiters[0];
    if (waiter && this.fits(waiter.caller)) {
      this.waiters.shift();
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
