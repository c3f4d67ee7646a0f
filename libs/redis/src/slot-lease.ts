import { randomInt } from 'node:crypto';
import type Redis from 'ioredis';

// Extends the lease only if we still own it: a lease that expired and was taken by another
// instance must never be silently stolen back.
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

export interface SlotLeaseOptions {
  readonly redis: Redis;
  /** Key prefix; the slot number is appended. */
  readonly keyPrefix: string;
  readonly slots: number;
  readonly owner: string;
  readonly ttlMs: number;
  /** Called once when a renewal finds the lease gone or owned by someone else. */
  readonly onLost: (slot: number) => void;
  /** Called when a renewal fails for another reason (Redis down); the lease may still be ours. */
  readonly onRenewError: (error: unknown) => void;
}

/**
 * Leases one of `slots` numbered slots in Redis (`SET NX PX`), renews it every third of its
 * time-to-live and releases it on close. Used by gateways to own a reply partition each.
 */
export class SlotLease {
  private slot: number | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SlotLeaseOptions) {}

  get current(): number | undefined {
    return this.slot;
  }

  /** @throws when every slot is taken. */
  async acquire(): Promise<number> {
    const { redis, slots, owner, ttlMs } = this.options;
    // Start at a random slot so instances starting together do not all race for slot 0.
    const start = randomInt(slots);
    for (let i = 0; i < slots; i++) {
      const slot = (start + i) % slots;
      if ((await redis.set(this.key(slot), owner, 'PX', ttlMs, 'NX')) === 'OK') {
        this.slot = slot;
        this.timer = setInterval(() => void this.renew(), Math.floor(ttlMs / 3));
        return slot;
      }
    }
    throw new Error(`all ${slots} slots under ${this.options.keyPrefix}* are leased; add partitions or stop an instance`);
  }

  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    const slot = this.slot;
    this.slot = undefined;
    if (slot !== undefined) await this.options.redis.eval(RELEASE, 1, this.key(slot), this.options.owner);
  }

  private async renew(): Promise<void> {
    const slot = this.slot;
    if (slot === undefined) return;
    try {
      const renewed = await this.options.redis.eval(RENEW, 1, this.key(slot), this.options.owner, this.options.ttlMs);
      if (renewed === 1) return;
      if (this.timer) clearInterval(this.timer);
      this.slot = undefined;
      this.options.onLost(slot);
    } catch (error) {
      this.options.onRenewError(error);
    }
  }

  private key(slot: number): string {
    return `${this.options.keyPrefix}${slot}`;
  }
}
