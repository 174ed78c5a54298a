/** The configuration the emulator project uses (functions/.env*, loaded by env.ts), for unit tests. */
import { loadConfig } from "../../src/config.js";

export const config = loadConfig();
