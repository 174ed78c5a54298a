/**
 * A scheduled run's time: the schedule's, or now when it is invoked by hand (an operator running the job from the
 * Cloud console, the emulator's HTTP trigger), which sends no `scheduleTime`. Never an Invalid Date: a sweep computing
 * ages from one would take every object for expired.
 */
export function scheduledAt(time: string | undefined): Date {
  const at = Date.parse(time ?? "");
  return Number.isFinite(at) ? new Date(at) : new Date();
}
