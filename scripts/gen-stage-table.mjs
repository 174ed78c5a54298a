// `npm run gen:stages`: writes the pipeline table (functions/src/pipeline/definition.ts) into docs/architecture.md
// "Pipeline stages", between its markers, from the built functions (the npm script builds first), then formats the
// page. The unit test readme.test.ts fails until the page matches the table.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const page = join(root, "docs/architecture.md");
const { renderStageTable, replaceStageTable } = await import(
  pathToFileURL(join(root, "functions/lib/pipeline/stageTable.js")).href
);
writeFileSync(
  page,
  replaceStageTable(readFileSync(page, "utf8"), renderStageTable()),
);
execFileSync(
  join(root, "functions/node_modules/.bin/prettier"),
  ["--write", page],
  { stdio: "inherit" },
);
console.log(`[gen:stages] wrote the stage table into ${page}`);
