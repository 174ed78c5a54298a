/** The speaker-embedder role. The interface is a shared contract (diarization uses it too), so it lives in model/. */
export type { SpeakerEmbedder } from "../../model/speaker.js";
