/**
 * e2e and provider projects: the code these tests run in-process (stages and scheduled jobs called directly) copies
 * its log lines to the same file as the emulated functions (functions/.env.demo-*), for the monitoring test.
 */
process.env.LOG_TEE_FILE = ".e2e-logs.jsonl";
