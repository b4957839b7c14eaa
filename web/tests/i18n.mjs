// The translation table is complete: every key of English is in French and back, and every
// key the code asks for (`t("…")`, a `MessageKey` literal) is in both. node tests/i18n.mjs
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const src = new URL("../src/", import.meta.url).pathname;
const text = readFileSync(join(src, "i18n.ts"), "utf8");
const table = (name) => {
  const m = text.match(new RegExp(`const ${name}[^=]*= \\{([\\s\\S]*?)\\n\\}`));
  if (!m) throw new Error(`no table ${name} in i18n.ts`);
  return new Set([...m[1].matchAll(/^\s*"([\w.]+)":/gm)].map((x) => x[1]));
};
const en = table("en");
const fr = table("fr");
const problems = [];
for (const k of en) if (!fr.has(k)) problems.push(`missing in fr: ${k}`);
for (const k of fr) if (!en.has(k)) problems.push(`missing in en: ${k}`);
const files = (dir) =>
  readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));
for (const f of files(src).filter((f) => f.endsWith(".ts") && !f.endsWith("i18n.ts"))) {
  const code = readFileSync(f, "utf8");
  for (const m of code.matchAll(/\bt\(\s*"([\w.]+)"/g)) {
    if (!en.has(m[1])) problems.push(`${f.slice(src.length)}: t("${m[1]}") is not in the table`);
  }
}
if (en.size < 20) problems.push(`only ${en.size} keys found: is the table still parsed?`);
if (problems.length) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log(`i18n: ${en.size} keys in en and fr`);
