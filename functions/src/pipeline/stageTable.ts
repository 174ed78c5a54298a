/**
 * The pipeline table (definition.ts) rendered as the Markdown table in docs/architecture.md "Pipeline stages", between
 * its markers. `npm run gen:stages` writes it (scripts/gen-stage-table.mjs); the unit test readme.test.ts checks the
 * page holds exactly this.
 */
import { PIPELINE, topicName, type StageDeclaration } from "./definition.js";

export const STAGE_TABLE_START = "<!-- pipeline-stages:start -->";
export const STAGE_TABLE_END = "<!-- pipeline-stages:end -->";

function row(s: StageDeclaration, i: number): string {
  const trigger =
    s.trigger === "storage" ? "storage finalize (post-processing bucket)" : `Pub/Sub \`${topicName(s.name)}\``;
  const then = s.next.length ? s.next.map((n) => `\`${n}\``).join(", ") : "—";
  const required = s.required ? "yes" : s.onlyWith ? `no (only with \`${s.onlyWith}\`)` : "no";
  const phases = `\`${s.phases.waiting}\` → \`${s.phases.running}\``;
  return `| ${i + 1} | \`${s.name}\` | ${trigger} | ${phases} | ${then} | ${required} |`;
}

export function renderStageTable(pipeline: readonly StageDeclaration[] = PIPELINE): string {
  return [
    "| # | stage | trigger | phases (waiting → running) | then | required |",
    "| --- | --- | --- | --- | --- | --- |",
    ...pipeline.map(row),
  ].join("\n");
}

/** `page` with the table between its markers replaced by `table`; throws when the markers are missing. */
export function replaceStageTable(page: string, table: string): string {
  const at = page.indexOf(STAGE_TABLE_START);
  const end = page.indexOf(STAGE_TABLE_END);
  if (at < 0 || end < at) throw new Error(`no ${STAGE_TABLE_START} … ${STAGE_TABLE_END} markers`);
  return `${page.slice(0, at + STAGE_TABLE_START.length)}\n${table}\n${page.slice(end)}`;
}
