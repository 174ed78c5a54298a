import { TOPICS } from "../config.js";
import { segment as segmentStage } from "../stages/segment.js";
import { pubsubStage } from "./pubsubStage.js";

/** Stage 3: words → TranscriptSegments, with the 85 % sanity check. */
export const segment = pubsubStage(TOPICS.segment, { memory: "1GiB" }, segmentStage);
