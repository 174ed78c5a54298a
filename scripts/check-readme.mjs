// Checks that the README and docs/*.md stay true. It runs `npm run setup` (unless --resolve), then checks, without
// running anything:
//   - commands: every command in a fenced `sh` block and every inline code span that starts with npm, npx, bash or
//     node resolves: its npm script exists (root or functions/), the script or file it names exists, npx finds the
//     tool installed;
//   - routes: every route docs/api.md documents (a heading `METHOD /path`) is one of the router's
//     (functions/src/http/app.ts), and every router route is documented there and listed in the README;
//   - params: every param and secret of functions/src/config.ts is in docs/configuration.md, and every param its tables
//     name exists;
//   - citations: every heading a code comment cites (README "…", docs/<file>.md "…") and every README.md path it
//     names exist, and a comment that sends the reader to the README ("see README") names a heading;
//   - links: every relative link in the README and docs points to an existing file and heading.
// Then (unless --resolve) it runs the commands, as marked by an HTML comment on the line before a block:
//   <!-- readme-check: run -->        each command runs at the repo root and must exit 0 (cheap ones)
//   <!-- readme-check: run-long -->   the same, only with --all (the demo, the whole test suite)
//   <!-- readme-check: emulators -->  the blocks so marked (README first, then docs/*.md by name) run in order as one
//                                     bash script (set -euo pipefail) inside one `firebase emulators:exec --import
//                                     emulator-data` of demo-memories; an optional `then: <shell test>` in the
//                                     comment is checked after the block
// Unmarked blocks are only resolved (deploy, gcloud, long-running commands such as `npm run emulators`).
//
//   node scripts/check-readme.mjs [--resolve | --all]     (npm run check:readme; the unit test runs --resolve)
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, extname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const MARKER = /^<!--\s*readme-check:\s*(run|run-long|emulators)\s*(?:;\s*then:\s*(.*?))?\s*-->$/;

/**
 * A Markdown file's commands: {line, command, mode} for each command of a fenced sh block and each inline span (mode
 * "inline"), and the sh blocks themselves: {line, mode, then, text}. `file` names the file in problems.
 */
export function readmeCommands(text, file = "README.md") {
  const lines = text.split("\n");
  const commands = [];
  const blocks = [];
  const problems = [];
  let fence = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (fence) {
      if (/^\s*```\s*$/.test(line)) {
        if (fence.shell) blocks.push({ line: fence.id, mode: fence.mode, then: fence.then, text: fence.body.join("\n") });
        fence = null;
        continue;
      }
      if (!fence.shell) continue;
      fence.body.push(line);
      let command = line;
      const start = i + 1;
      while (/\\\s*$/.test(command) && i + 1 < lines.length) {
        fence.body.push(lines[i + 1]);
        command = command.replace(/\\\s*$/, " ") + lines[++i].trim();
      }
      command = stripComment(command).trim();
      if (command) commands.push({ line: start, command, mode: fence.mode, then: fence.then, block: fence.id });
      continue;
    }
    const open = /^\s*```(\w*)/.exec(line); // fences may be indented (inside list items)
    if (open) {
      const marker = MARKER.exec(previousNonEmpty(lines, i) ?? "");
      const shell = ["sh", "bash", "shell"].includes(open[1]);
      if (marker && !shell) problems.push(`${file}:${i + 1}: a readme-check marker before a non-sh block`);
      fence = { shell, mode: marker?.[1] ?? "resolve", then: marker?.[2], id: i + 1, body: [] };
      continue;
    }
    if (/^<!--\s*readme-check/.test(line) && !MARKER.test(line)) problems.push(`${file}:${i + 1}: malformed marker: ${line}`);
    for (const span of line.matchAll(/`((?:npm|npx|bash|node) [^`]+)`/g))
      commands.push({ line: i + 1, command: span[1], mode: "inline" });
  }
  return { commands, blocks, problems };
}

function previousNonEmpty(lines, i) {
  for (let j = i - 1; j >= 0; j--) if (lines[j].trim()) return lines[j].trim();
}

/** Drops a `# comment` that is not inside quotes. */
function stripComment(command) {
  let quote = null;
  for (let i = 0; i < command.length; i++) {
    const c = command[i];
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "#" && (i === 0 || /\s/.test(command[i - 1]))) return command.slice(0, i);
  }
  return command;
}

/** Shell words of one command line, split into simple commands at ; && || | and $( … ). */
function simpleCommands(command) {
  const words = command.match(/"(?:\\.|[^"])*"|'[^']*'|[^\s;&|()]+|;|&&|\|\||\||\$\(|\(|\)/g) ?? [];
  const out = [[]];
  for (const w of words) {
    if ([";", "&&", "||", "|", "$(", "(", ")"].includes(w)) out.push([]);
    else out.at(-1).push(w.replace(/^(["'])(.*)\1$/, "$2"));
  }
  return out.filter((c) => c.length);
}

const groupBy = (items, key) => {
  const groups = new Map();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
};
const packageScripts = (dir) => JSON.parse(readFileSync(join(ROOT, dir, "package.json"), "utf8")).scripts ?? {};
const isPlaceholder = (word) => /[<>{}[\]$*…]|\.\.\./.test(word);

/** What is wrong with one command (empty when it resolves); `cwd` is relative to the repo root. */
export function resolveCommand(command, cwd = ".") {
  const problems = [];
  for (const words of simpleCommands(command)) {
    while (/^[A-Z_][A-Z0-9_]*=/.test(words[0] ?? "")) words.shift(); // VAR=value prefixes and assignments
    if (words[0] === "cd" && words[1] && !isPlaceholder(words[1])) {
      cwd = join(cwd, words[1]);
      if (!existsSync(join(ROOT, cwd))) problems.push(`cd ${words[1]}: no such folder`);
      continue;
    }
    problems.push(...resolveWords(words, cwd));
    for (const word of words) {
      const path = word.replace(/^[\w-]+=@?/, "").replace(/^@/, ""); // curl -F file=@path
      if (isPlaceholder(path) || /^[a-z]+:\/\//.test(path) || !/^[\w.-]+\/[\w./-]*$/.test(path)) continue;
      if (!/\.\w+$|\/$/.test(path)) continue; // a file with an extension, or a folder/
      if (![cwd, ".", "functions"].some((dir) => existsSync(join(ROOT, dir, path)))) problems.push(`no such file: ${path}`);
    }
  }
  return [...new Set(problems)];
}

function resolveWords(words, cwd) {
  const [tool, ...rest] = words;
  // Commands that run another command given as one argument: check that one too.
  if (tool === "firebase" && rest[0] === "emulators:exec") return resolveCommand(rest.at(-1), cwd);
  if (tool === "bash" && rest[0] === "-c") return resolveCommand(rest[1] ?? "", cwd);
  if (tool === "bash" && rest[0] === "scripts/run.sh")
    return [...fileExists(join(cwd, rest[0])), ...resolveWords(rest.slice(1), ".")]; // run.sh cds to the root
  if ((tool === "bash" || tool === "node") && rest[0] && !rest[0].startsWith("-")) return fileExists(join(cwd, rest[0]));
  if (tool === "npx") {
    const bin = rest.find((w) => !w.startsWith("-"));
    return bin && !isPlaceholder(bin) && !existsSync(join(ROOT, cwd, "node_modules/.bin", bin))
      ? [`npx ${bin}: not in ${join(cwd, "node_modules/.bin")} (npx would fetch some other version)`]
      : [];
  }
  if (tool !== "npm") return [];
  let dir = cwd;
  const args = [...rest];
  const prefix = args.findIndex((w) => w === "--prefix" || w.startsWith("--prefix="));
  if (prefix >= 0)
    dir = join(cwd, args[prefix].includes("=") ? args.splice(prefix, 1)[0].split("=")[1] : args.splice(prefix, 2)[1]);
  const sub = args.find((w) => !w.startsWith("-"));
  if (isPlaceholder(dir)) return []; // e.g. firebase.json's --prefix "$RESOURCE_DIR"
  if (!existsSync(join(ROOT, dir, "package.json"))) return [`npm in ${dir}: no package.json there`];
  const scripts = packageScripts(dir);
  if (sub === "test" || sub === "start") return scripts[sub] ? [] : [`npm ${sub}: no "${sub}" script in ${dir}/package.json`];
  if (sub === "run" || sub === "run-script") {
    const name = args[args.indexOf(sub) + 1];
    if (!name || isPlaceholder(name)) return [];
    return scripts[name] ? [] : [`npm run ${name}: no such script in ${join(dir, "package.json")}`];
  }
  if (sub === "exec") {
    const bin = args.slice(args.indexOf(sub) + 1).find((w) => !w.startsWith("-"));
    return bin && !existsSync(join(ROOT, dir, "node_modules/.bin", bin)) ? [`npm exec ${bin}: not installed in ${dir}`] : [];
  }
  return [];
}

const fileExists = (path) => (isPlaceholder(path) || existsSync(join(ROOT, path)) ? [] : [`no such file: ${path}`]);

/** The Markdown files checked: the README, then docs/*.md by name (paths relative to the root). */
export function docFiles() {
  const docs = existsSync(join(ROOT, "docs"))
    ? readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).sort().map((f) => `docs/${f}`)
    : [];
  return ["README.md", ...docs];
}

const read = (path) => readFileSync(join(ROOT, path), "utf8");

/** Lines of a Markdown text outside fenced code blocks, as {line (1-based), text}. */
function proseLines(text) {
  const out = [];
  let fence = false;
  text.split("\n").forEach((line, i) => {
    if (/^\s*```/.test(line)) fence = !fence;
    else if (!fence) out.push({ line: i + 1, text: line });
  });
  return out;
}

/** A Markdown file's headings, as written (inline code marks dropped). */
export function headings(text) {
  return proseLines(text)
    .map(({ text: t }) => /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(t)?.[1])
    .filter((h) => h !== undefined)
    .map((h) => h.replace(/`/g, "").trim());
}

/** GitHub's anchors for a file's headings (lowercase, punctuation dropped, spaces to hyphens, repeats numbered). */
export function anchors(text) {
  const seen = new Map();
  return headings(text).map((h) => {
    const base = h
      .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
      .replace(/ /g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return n ? `${base}-${n}` : base;
  });
}

const ROUTE_METHODS = "GET|POST|PUT|PATCH|DELETE";
/** `/v1/memories/:memoryId/x` and `/v1/memories/{memory_id}/x` are the same route. */
const normalRoute = (method, path) =>
  `${method.toUpperCase()} ${path.replace(/:\w+|\{[^}]*\}/g, "{}").replace(/\/+$/, "")}`;

/** The routes the API's router declares (functions/src/http/app.ts), as "METHOD /path/{}". */
export function routerRoutes() {
  const app = read("functions/src/http/app.ts");
  const constants = new Map();
  for (const file of readdirSync(join(ROOT, "functions/src/http")))
    for (const m of read(`functions/src/http/${file}`).matchAll(/export const (\w+) = "([^"]+)"/g)) constants.set(m[1], m[2]);
  const routes = [];
  for (const m of app.matchAll(/\broute\(\s*"(\w+)",\s*"([^"]+)"/g)) routes.push(normalRoute(m[1], m[2]));
  for (const m of app.matchAll(/\bresource\(\s*("[^"]+"|[A-Z][A-Z0-9_]*),\s*\{([^}]*)\}/g)) {
    const path = m[1].startsWith('"') ? m[1].slice(1, -1) : constants.get(m[1]);
    if (!path) throw new Error(`functions/src/http/app.ts: cannot resolve the path ${m[1]}`);
    for (const method of m[2].matchAll(/(\w+)\s*:/g)) routes.push(normalRoute(method[1], path));
  }
  if (!routes.length) throw new Error("functions/src/http/app.ts: no routes found (has the router's shape changed?)");
  return [...new Set(routes)];
}

/** Routes a Markdown text names in code spans (`METHOD /path`), in its headings only when `headingsOnly`. */
export function documentedRoutes(text, { headingsOnly = false } = {}) {
  const routes = [];
  for (const { line, text: t } of proseLines(text)) {
    if (headingsOnly && !/^#{1,6}\s/.test(t)) continue;
    for (const m of t.matchAll(new RegExp(`\`(${ROUTE_METHODS}) (/[^\`\\s?]*)[^\`]*\``, "g")))
      routes.push({ line, route: normalRoute(m[1], m[2]) });
  }
  return routes;
}

/** What is wrong between the router and docs/api.md (and the README's route index). */
export function routeProblems() {
  const router = routerRoutes();
  const problems = [];
  const api = documentedRoutes(read("docs/api.md"), { headingsOnly: true });
  const readme = documentedRoutes(read("README.md"));
  for (const { line, route } of api)
    if (!router.includes(route)) problems.push(`docs/api.md:${line}: ${route} is not a route of functions/src/http/app.ts`);
  for (const { line, route } of readme)
    if (!router.includes(route)) problems.push(`README.md:${line}: ${route} is not a route of functions/src/http/app.ts`);
  for (const route of router) {
    if (!api.some((r) => r.route === route)) problems.push(`docs/api.md: no heading documents ${route}`);
    if (!readme.some((r) => r.route === route)) problems.push(`README.md: the route index does not list ${route}`);
  }
  return { problems, count: router.length };
}

/** The params and secrets functions/src/config.ts defines. */
export function configParams() {
  const names = [...read("functions/src/config.ts").matchAll(/\bdefine(?:String|Int|Float|Boolean|List|Secret)\(\s*"([A-Z0-9_]+)"/g)].map(
    (m) => m[1],
  );
  if (!names.length) throw new Error("functions/src/config.ts: no params found");
  return names;
}

/** Every param and secret in docs/configuration.md, and every param its tables name in config.ts. */
export function paramProblems() {
  const params = configParams();
  const text = read("docs/configuration.md");
  const problems = params.filter((p) => !text.includes(`\`${p}\``)).map((p) => `docs/configuration.md: ${p} (config.ts) is missing`);
  for (const { line, text: t } of proseLines(text)) {
    const named = /^\|\s*`([A-Z][A-Z0-9_]+)`\s*\|/.exec(t)?.[1];
    if (named && !params.includes(named)) problems.push(`docs/configuration.md:${line}: ${named} is not a param of config.ts`);
  }
  return { problems, count: params.length };
}

/** Source files whose comments may cite the docs. */
function sourceFiles(dir) {
  const out = [];
  for (const entry of readdirSync(join(ROOT, dir))) {
    if (["node_modules", "lib", "fixtures"].includes(entry) || entry.startsWith(".")) continue;
    const path = `${dir}/${entry}`;
    if (statSync(join(ROOT, path)).isDirectory()) out.push(...sourceFiles(path));
    else if ([".ts", ".js", ".mjs", ".sh", ".java", ".json"].includes(extname(entry))) out.push(path);
  }
  return out;
}

/** The comment text of one source line ("" when it has none); JSON files are documentation strings throughout. */
function commentOf(path, line) {
  if (path.endsWith(".json")) return line.replace(/\\"/g, '"');
  if (path.endsWith(".sh")) return /(?:^|\s)#(?!!)(.*)$/.exec(line)?.[1] ?? "";
  const trimmed = line.trim();
  if (/^(\/\/|\/\*|\*)/.test(trimmed)) return trimmed;
  return /\s\/\/\s(.*)$/.exec(line)?.[1] ?? "";
}

/** Every `README "…"` / `docs/<file>.md "…"` and README.md path a comment cites exists; "see README" names a heading. */
export function citationProblems() {
  const headingsOf = new Map(docFiles().map((f) => [f, headings(read(f)).map((h) => h.toLowerCase())]));
  const problems = [];
  let count = 0;
  const files = ["functions/src", "functions/test", "functions/bench", "scripts", "monitoring"].flatMap(sourceFiles);
  for (const path of files) {
    if (path === "scripts/check-readme.mjs") continue; // describes the citation forms themselves
    read(path)
      .split("\n")
      .forEach((line, i) => {
        const comment = commentOf(path, line);
        if (!comment) return;
        const where = `${path}:${i + 1}`;
        for (const m of comment.matchAll(/(?:[\w.-]+\/)+README\.md\b/g)) {
          const dirs = [".", "functions", dirname(path)];
          if (!dirs.some((dir) => existsSync(join(ROOT, dir, m[0])))) problems.push(`${where}: ${m[0]} does not exist`);
        }
        for (const m of comment.matchAll(/\b(README|docs\/[\w-]+\.md)\b(?:\s*"([^"]+)")?/g)) {
          const [, file, heading] = m;
          const doc = file === "README" ? "README.md" : file;
          if (file === "README" && !heading) {
            const after = comment.slice(m.index + m[0].length);
            const before = comment.slice(0, m.index);
            // A reference to read there ("see README", "(README: …)", "(… README)") must name the heading.
            // ("its README": a folder's own README.md, e.g. test/fixtures'.)
            if (/^\.md/.test(after) || /\bits\s+$/.test(before)) continue;
            if (/\bsee\s+(the\s+)?$/i.test(before) || /^\s*[:)]/.test(after))
              problems.push(`${where}: cite a heading (README "…" or docs/<file>.md "…"): ${comment.trim()}`);
            continue;
          }
          count++;
          if (!headingsOf.has(doc)) problems.push(`${where}: ${doc} does not exist`);
          else if (heading && !headingsOf.get(doc).includes(heading.toLowerCase()))
            problems.push(`${where}: ${doc} has no heading "${heading}"`);
        }
      });
  }
  return { problems, count };
}

/** Every relative link of the README and docs points to an existing file and, for #anchors, heading. */
export function linkProblems() {
  const problems = [];
  let count = 0;
  for (const file of docFiles()) {
    for (const { line, text } of proseLines(read(file))) {
      for (const m of text.replace(/`[^`]*`/g, "").matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1];
        if (/^[a-z]+:/.test(target)) continue; // https:, mailto:
        count++;
        const [path, anchor] = target.split("#");
        const resolved = path ? relative(ROOT, join(ROOT, dirname(file), path)) : file;
        if (!existsSync(join(ROOT, resolved))) {
          problems.push(`${file}:${line}: ${target}: no such file`);
          continue;
        }
        if (anchor !== undefined && !(resolved.endsWith(".md") && anchors(read(resolved)).includes(anchor)))
          problems.push(`${file}:${line}: ${target}: no such heading in ${resolved}`);
      }
    }
  }
  return { problems, count };
}

/** Runs one shell command at the root; its output goes to a log file. */
function run(label, args, logFile, timeoutMin = 20) {
  const started = Date.now();
  if (process.stdout.isTTY) process.stdout.write(`  … ${label}\r`);
  const result = spawnSync(args[0], args.slice(1), {
    cwd: ROOT,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: timeoutMin * 60_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  const output = `${result.stdout ?? ""}${result.stderr ?? ""}`;
  writeFileSync(logFile, output);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const ok = result.status === 0;
  console.info(`${ok ? "✔" : "✘"} ${label}  (${seconds} s${ok ? "" : `, exit ${result.status ?? result.signal}`})`);
  if (!ok) console.info(output.trimEnd().split("\n").slice(-30).map((l) => `    ${l}`).join("\n"));
  return ok;
}

async function main() {
  const argv = process.argv.slice(2);
  const resolveOnly = argv.includes("--resolve") || argv.includes("--list");
  const logs = join(ROOT, ".tmp/check-readme");
  const failed = [];
  const step = (label, args, timeoutMin) => {
    const log = join(logs, `${String(++step.count).padStart(2, "0")}.log`);
    if (!run(label, args, log, timeoutMin)) failed.push(`${label} (log: ${log.slice(ROOT.length + 1)})`);
  };
  step.count = 0;
  if (!resolveOnly) {
    // Setup first: on a fresh clone the tools npx should find are not installed yet.
    mkdirSync(logs, { recursive: true });
    step("npm run setup", ["npm", "run", "setup"]);
    if (failed.length) process.exit(1);
  } else if (!existsSync(join(ROOT, "node_modules/.bin"))) {
    console.error("node_modules/ is missing at the repo root: run `npm run setup` first");
    process.exit(1);
  }
  const commands = [];
  const blocks = [];
  const problems = [];
  for (const file of docFiles()) {
    const found = readmeCommands(read(file), file);
    commands.push(...found.commands.map((c) => ({ ...c, file })));
    blocks.push(...found.blocks.map((b) => ({ ...b, file })));
    problems.push(...found.problems);
  }
  for (const c of commands)
    for (const p of resolveCommand(c.command)) problems.push(`${c.file}:${c.line}: ${c.command}\n    ${p}`);
  if (argv.includes("--list"))
    for (const c of commands) console.info(`${`${c.file}:${c.line}`.padEnd(34)} ${c.mode.padEnd(9)} ${c.command}`);
  const counts = [...groupBy(commands, (c) => c.mode)].map(([m, cs]) => `${cs.length} ${m}`);
  if (problems.length) console.error(`Commands that do not resolve:\n${problems.join("\n")}`);
  else console.info(`✔ all ${commands.length} commands of the README and docs/*.md resolve (${counts.join(", ")})`);
  let clean = !problems.length;
  for (const [label, check] of [
    ["routes of functions/src/http/app.ts documented in docs/api.md and listed in the README", routeProblems],
    ["params and secrets of functions/src/config.ts in docs/configuration.md", paramProblems],
    ["headings cited by code comments exist", citationProblems],
    ["relative links of the README and docs/*.md resolve", linkProblems],
  ]) {
    const result = check();
    if (result.problems.length) {
      clean = false;
      console.error(`✘ ${label}:\n  ${result.problems.join("\n  ")}`);
    } else console.info(`✔ ${result.count} ${label}`);
  }
  if (!clean) process.exit(1);
  if (resolveOnly) return;

  const modes = argv.includes("--all") ? ["run", "run-long"] : ["run"];
  for (const c of commands.filter((c) => modes.includes(c.mode))) step(c.command, ["bash", "-c", c.command], 60);

  const walkthrough = blocks.filter((b) => b.mode === "emulators");
  if (walkthrough.length) {
    // emulators:exec exits 0 when the emulators stop before the command runs: the script leaves a mark at its end.
    const ran = join(logs, "emulators.ran");
    rmSync(ran, { force: true });
    const script = ["set -euo pipefail"];
    for (const block of walkthrough) {
      script.push(`echo "== ${block.file} block at line ${block.line}"`, "set -x", block.text, "set +x");
      if (block.then) script.push(`${block.then} || { echo "${block.file} block at line ${block.line}: failed: ${block.then.replace(/["\\$`]/g, "\\$&")}"; exit 1; }`);
    }
    script.push(`touch ${ran.slice(ROOT.length + 1)}`);
    const file = join(logs, "emulators.sh");
    writeFileSync(file, script.join("\n") + "\n");
    step(
      `${walkthrough.length} emulator block(s) (${walkthrough.map((b) => `${b.file}:${b.line}`).join(", ")}) in one emulators:exec`,
      ["bash", "scripts/run.sh", "firebase", "emulators:exec", "--project", "demo-memories", "--import", "emulator-data",
        `bash ${file.slice(ROOT.length + 1)}`],
    );
    if (!existsSync(ran)) failed.push("the emulator blocks did not run to their end (the emulators stopped first?)");
  }
  if (failed.length) {
    console.error(`\n${failed.length} command(s) of the README and docs failed:\n  ${failed.join("\n  ")}`);
    process.exit(1);
  }
  console.info(`\n✔ every command of the README and docs checked${argv.includes("--all") ? "" : " (add --all to run the demo and the whole test suite too)"}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
