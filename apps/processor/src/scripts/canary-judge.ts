import type { ScriptActivationRecord } from '@flowgate/contracts';

/** Calls of one version in one active set on this processor (counted since the set became active). */
export interface VersionStats {
  calls: number;
  /** Calls that failed: the script threw (other than a RouteError below 500), or ran over a budget. */
  errors: number;
  /** Calls in a row without an error, up to the newest. */
  cleanStreak: number;
}

export function emptyStats(): VersionStats {
  return { calls: 0, errors: 0, cleanStreak: 0 };
}

export function countCall(stats: VersionStats, failed: boolean): void {
  stats.calls++;
  if (failed) {
    stats.errors++;
    stats.cleanStreak = 0;
  } else {
    stats.cleanStreak++;
  }
}

export interface CanaryDecision {
  readonly decision: 'rollback' | 'promote';
  /** The activation record to write: the canary gone, or become the stable version. */
  readonly activation: ScriptActivationRecord;
}

/**
 * The automatic decision on a canary, if one is due: rolled back once it has had `minCalls` calls
 * and its error rate is above the stable version's by more than `rollbackMargin`; promoted after
 * `promoteAfter` calls in a row without an error. Rollback is judged first, so a canary that is
 * both (a long clean streak after many errors) goes back.
 *
 * @example
 * judgeCanary(active, { stable: { calls: 90, errors: 0, cleanStreak: 90 }, canary: { calls: 20, errors: 20, cleanStreak: 0 } }, { at, by })
 * // → { decision: 'rollback', activation: { ...active, canary: undefined, reason: 'auto-rollback: canary v2 error rate 1.000 vs stable 0.000' } }
 */
export function judgeCanary(
  active: ScriptActivationRecord,
  stats: { readonly stable: VersionStats; readonly canary: VersionStats },
  change: { readonly at: string; readonly by: string },
): CanaryDecision | undefined {
  const { canary } = active;
  if (!canary) return undefined;
  const base = { name: active.name, kind: active.kind, changedAt: change.at, changedBy: change.by };
  if (stats.canary.calls >= canary.minCalls) {
    const canaryRate = stats.canary.errors / stats.canary.calls;
    const stableRate = stats.stable.calls === 0 ? 0 : stats.stable.errors / stats.stable.calls;
    if (canaryRate - stableRate > canary.rollbackMargin) {
      const reason = `auto-rollback: canary v${canary.version} error rate ${canaryRate.toFixed(3)} vs stable ${stableRate.toFixed(3)}`;
      return { decision: 'rollback', activation: { ...base, stable: active.stable, reason } };
    }
  }
  if (canary.promoteAfter !== undefined && stats.canary.cleanStreak >= canary.promoteAfter) {
    const reason = `auto-promote: canary v${canary.version} had ${stats.canary.cleanStreak} calls in a row without an error`;
    return { decision: 'promote', activation: { ...base, stable: canary.version, reason } };
  }
  return undefined;
}
