/** Deployed functions. Each lives in triggers/ (wiring and options only) and calls a handler in http/ or stages/. */
export { api } from "./triggers/api.js";
export { prepareAudio } from "./triggers/prepareAudio.js";
export { prepareAudioRedrive } from "./triggers/prepareAudioRedrive.js";
export { transcribe } from "./triggers/transcribe.js";
export { falWebhook } from "./triggers/falWebhook.js";
export { segment } from "./triggers/segment.js";
export { identify } from "./triggers/identify.js";
export { reprocess } from "./triggers/reprocess.js";
export { emotion } from "./triggers/emotion.js";
export { recoverStalledJobs } from "./triggers/recoverStalledJobs.js";
export { sweepExpiredAudio } from "./triggers/sweepExpiredAudio.js";
export { auditBuckets } from "./triggers/auditBuckets.js";
export { memoryDeleted } from "./triggers/memoryDeleted.js";
export { userDeleted } from "./triggers/userDeleted.js";
