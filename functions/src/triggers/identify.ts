import { TOPICS } from "../config.js";
import { identify as identifyStage } from "../stages/identify.js";
import { pubsubStage } from "./pubsubStage.js";

/** Stage 4: speaker identification against voice profiles; saves the memory's new transcript. */
export const identify = pubsubStage(TOPICS.identify, { memory: "2GiB", cpu: 1 }, identifyStage);
