/**
 * Job and stage statuses: plain constants, with no schema library, for modules loaded at every cold start. */

export const POSTPROCESSING_STATUSES = ["not_started", "in_progress", "completed", "canceled", "failed"] as const;
export type PostprocessingStatus = (typeof POSTPROCESSING_STATUSES)[number];
export const TERMINAL_STATUSES: readonly PostprocessingStatus[] = ["completed", "canceled", "failed"];

/**
 * `waiting`: handed to a provider (e.g. FAL) whose result arrives later by webhook or poll. `skipped`: an optional
 * stage that had nothing to do (e.g. emotion analysis when the user did not speak); final, like `done`.
 */
export const STAGE_STATES = ["pending", "processing", "waiting", "done", "skipped", "failed"] as const;
export type StageStateName = (typeof STAGE_STATES)[number];
