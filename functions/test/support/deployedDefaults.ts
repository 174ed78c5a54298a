/**
 * The configuration of functions/.env alone: what a real project deploys unless it overrides a param (the emulator
 * projects override several in .env.demo-*, e.g. a 30-minute MAX_AUDIO_SECONDS).
 */
import { readFileSync } from "node:fs";
import { loadConfig, type Config } from "../../src/config.js";

export function deployedDefaults(): Config {
  const saved = { ...process.env };
  const text = readFileSync(new URL("../../.env", import.meta.url), "utf8");
  for (const line of text.split("\n")) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) process.env[m[1]] = m[2];
  }
  try {
    return loadConfig();
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}
