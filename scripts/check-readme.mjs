// Checks that the commands the README lists work. It runs `npm run setup` (unless --resolve), then resolves every
// command in a fenced `sh` block and every inline code span that starts with npm, npx, bash or node: its npm script
// exists (root or functions/), the script or file it names exists, npx finds the tool installed. Then (unless
// --resolve) it runs them, as marked by an HTML comment on the line before a block:
//   <!-- readme-check: run -->        each command runs at the repo root and must exit 0 (cheap ones)
//   <!-- readme-check: run-long -->   the same, only with --all (the demo, the whole test suite)
//   <!-- readme-check: emulators -->  the blocks so marked run in order as one bash script (set -euo pipefail) inside
//                                     one `firebase emulators:exec --import emulator-data` of demo-memories; an optional
//                                     `then: <shell test>` in the comment is checked after the block
// Unmarked blocks are only resolved (deploy, gcloud, long-running commands such as `npm run emulators`).
//
//   node scripts/check-readme.mjs [--resolve | --all]     (npm run check:readme; the unit test runs --resolve)
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const MARKER = /^<!--\s*readme-check:\s*(run|run-long|emulators)\s*(?:;\s*then:\s*(.*?))?\s*-->$/;

/**
 * The README's commands: {line, command, mode} for each command of a fenced sh block and each inline span (mode
 * "inline"), and the sh blocks themselves: {line, mode, then, text}.
 */
export function readmeCommands(text) {
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
      if (marker && !shell) problems.push(`README:${i + 1}: a readme-check marker before a non-sh block`);
      fence = { shell, mode: marker?.[1] ?? "resolve", then: marker?.[2], id: i + 1, body: [] };
      continue;
    }
    if (/^<!--\s*readme-check/.test(line) && !MARKER.test(line)) problems.push(`README:${i + 1}: malformed marker: ${line}`);
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
  const { commands, blocks, problems } = readmeCommands(readFileSync(join(ROOT, "README.md"), "utf8"));
  for (const c of commands) for (const p of resolveCommand(c.command)) problems.push(`README:${c.line}: ${c.command}\n    ${p}`);
  if (argv.includes("--list")) for (const c of commands) console.info(`${String(c.line).padStart(4)} ${c.mode.padEnd(9)} ${c.command}`);
  const counts = [...groupBy(commands, (c) => c.mode)].map(([m, cs]) => `${cs.length} ${m}`);
  if (problems.length) {
    console.error(`README commands that do not resolve:\n${problems.join("\n")}`);
    process.exit(1);
  }
  console.info(`✔ all ${commands.length} README commands resolve (${counts.join(", ")})`);
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
      script.push(`echo "== README block at line ${block.line}"`, "set -x", block.text, "set +x");
      if (block.then) script.push(`${block.then} || { echo "README block at line ${block.line}: failed: ${block.then.replace(/["\\$`]/g, "\\$&")}"; exit 1; }`);
    }
    script.push(`touch ${ran.slice(ROOT.length + 1)}`);
    const file = join(logs, "emulators.sh");
    writeFileSync(file, script.join("\n") + "\n");
    step(
      `the README's ${walkthrough.length} emulator block(s) (lines ${walkthrough.map((b) => b.line).join(", ")}) in one emulators:exec`,
      ["bash", "scripts/run.sh", "firebase", "emulators:exec", "--project", "demo-memories", "--import", "emulator-data",
        `bash ${file.slice(ROOT.length + 1)}`],
    );
    if (!existsSync(ran)) failed.push("the emulator blocks did not run to their end (the emulators stopped first?)");
  }
  if (failed.length) {
    console.error(`\n${failed.length} README command(s) failed:\n  ${failed.join("\n  ")}`);
    process.exit(1);
  }
  console.info(`\n✔ every README command checked${argv.includes("--all") ? "" : " (add --all to run the demo and the whole test suite too)"}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
