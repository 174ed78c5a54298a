/**
 * Per-user fair use: how much audio one user may have post-processed in rolling windows (Omi's speech-time caps:
 * 2 h a day, 8 h over 3 days, 10 h a week, as FAIR_USE_*_MINUTES), and how often a memory's stages may be re-run.
 * Every job counts its audio's prepared duration (estimated at upload, exact once prepare_audio measured it) in the
 * user's usage document; these functions decide from it. All pure.
 *
 * Rule: a job is accepted when, in every window, what is already counted plus its own duration stays within the cap,
 * or when nothing at all is counted in a window whose cap it alone exceeds (one recording longer than a day's cap is
 * still post-processed on an otherwise quiet day).
 */

export const FAIR_USE_WINDOWS = [
  { window: "day", hours: 24 },
  { window: "3_days", hours: 72 },
  { window: "week", hours: 168 },
] as const;
export type FairUseWindow = (typeof FAIR_USE_WINDOWS)[number]["window"];

/** One job counted against the user's windows. */
export interface UsageEntry {
  /** Audio seconds: the upload's estimate, then the prepared duration. */
  seconds: number;
  /** When the job was accepted (ISO). */
  at: string;
  memory_id: string;
  kind: "upload" | "rerun";
  /** Whether `seconds` is prepare_audio's measurement (else the upload's estimate, 0 when none). */
  exact: boolean;
}

/** Caps in seconds per window; 0 means no cap. */
export type FairUseCaps = Record<FairUseWindow, number>;

export type FairUseDecision =
  | { allowed: true }
  | {
      allowed: false;
      window: FairUseWindow;
      limitSeconds: number;
      usedSeconds: number;
      requestedSeconds: number;
      /** When enough of the window's usage has aged out for this job to fit (ISO). */
      freesAt: string;
    };

const HOUR_MS = 3_600_000;
const LONGEST_WINDOW_MS = Math.max(...FAIR_USE_WINDOWS.map((w) => w.hours)) * HOUR_MS;

/** The entries that still count in some window at `now` (older ones can be dropped from the document). */
export function liveEntries(entries: Record<string, UsageEntry>, now: Date): Record<string, UsageEntry> {
  return Object.fromEntries(
    Object.entries(entries).filter(([, e]) => now.getTime() - Date.parse(e.at) < LONGEST_WINDOW_MS),
  );
}

function inWindow(entries: UsageEntry[], now: Date, hours: number): UsageEntry[] {
  const from = now.getTime() - hours * HOUR_MS;
  return entries.filter((e) => Date.parse(e.at) > from).sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

const sum = (entries: UsageEntry[]) => entries.reduce((n, e) => n + e.seconds, 0);

/** Whether a job of `seconds` may be accepted now, and if not, which window refuses it and until when. */
export function fairUseDecision(entries: UsageEntry[], now: Date, seconds: number, caps: FairUseCaps): FairUseDecision {
  for (const { window, hours } of FAIR_USE_WINDOWS) {
    const cap = caps[window];
    if (!cap) continue;
    const counted = inWindow(entries, now, hours);
    const used = sum(counted);
    if (used + seconds <= cap || used === 0) continue;
    // The job fits once the oldest entries have aged out: as much as it needs (all of them if it alone is too long).
    const excess = seconds > cap ? used : used + seconds - cap;
    let freed = 0;
    let freesAt = now.getTime();
    for (const e of counted) {
      freed += e.seconds;
      freesAt = Date.parse(e.at) + hours * HOUR_MS;
      if (freed >= excess) break;
    }
    return {
      allowed: false,
      window,
      limitSeconds: cap,
      usedSeconds: Math.round(used),
      requestedSeconds: Math.round(seconds),
      freesAt: new Date(freesAt).toISOString(),
    };
  }
  return { allowed: true };
}

/** What `GET /v1/users/usage` shows per window. */
export function usageView(entries: UsageEntry[], now: Date, caps: FairUseCaps) {
  return FAIR_USE_WINDOWS.map(({ window, hours }) => {
    const counted = inWindow(entries, now, hours);
    const used = sum(counted);
    const cap = caps[window];
    return {
      window,
      hours,
      used_seconds: Math.round(used),
      limit_seconds: cap || null,
      remaining_seconds: cap ? Math.max(0, Math.round(cap - used)) : null,
      // When the oldest counted job leaves the window (its audio stops counting).
      next_release_at: counted.length ? new Date(Date.parse(counted[0].at) + hours * HOUR_MS).toISOString() : null,
    };
  });
}

/** Re-runs of one memory's stages in the last hour; a new one is allowed below `perHour`. */
export function rerunDecision(
  history: string[],
  now: Date,
  perHour: number,
): { allowed: true } | { allowed: false; freesAt: string } {
  const recent = history.filter((at) => now.getTime() - Date.parse(at) < HOUR_MS).sort();
  if (!perHour || recent.length < perHour) return { allowed: true };
  return { allowed: false, freesAt: new Date(Date.parse(recent[recent.length - perHour]) + HOUR_MS).toISOString() };
}
