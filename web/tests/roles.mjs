// The roles page in a real browser (Debian's chromium through playwright-core) against a running
// `loupe serve` with an admin ADMIN, a user USER of the built-in role `user`, both with password
// PASSWORD, a `[roles.helpdesk]` of loupe.toml, and an API role `ward3` held by user nina:
// node tests/roles.mjs URL ADMIN USER PASSWORD. Exits non-zero at the first failed check.

import { launch } from "./browser.mjs";

const [url, admin, user, password] = process.argv.slice(2);
const { browser, fail } = await launch("roles");
const context = await browser.newContext({ viewport: { width: 1500, height: 1000 } });
const page = await context.newPage();
const errors = [];
page.on("pageerror", (e) => errors.push(String(e)));
page.on("dialog", async (d) => {
  errors.push(`a dialog opened: ${d.message()}`);
  await d.dismiss();
});
const shots = process.env.LOUPE_SCREENSHOT_DIR || "";
const T = { timeout: 30000 };

const signIn = async (who) => {
  await page.waitForSelector("[data-testid=login]", T);
  await page.fill("[data-testid=login] input[name=user]", who);
  await page.fill("[data-testid=login] input[name=password]", password);
  await page.click("[data-testid=login] button");
  await page.waitForSelector("[data-testid=who]", T);
};
/** Clicks `selector` and answers the response of `method /api/v1/roles…` it causes. */
const answer = async (method, path, click) => {
  const [r] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === method && new URL(r.url()).pathname === path, T),
    click(),
  ]);
  return r;
};
const row = (name) => `[data-testid=roles-table] tr[data-role="${name}"]`;
const cellText = (name, field) => page.textContent(`${row(name)} td[data-field=${field}]`);
const tableDone = () => page.waitForSelector("[data-testid=roles-table]", T);
const message = () => page.textContent("[data-testid=roles-message]");

// 1. An admin signs in on /roles and gets the page, offered in the header.
await page.goto(`${url}/roles`);
await signIn(admin);
await page.waitForSelector("[data-testid=nav-roles]", T);
if ((await page.getAttribute("[data-testid=nav-roles]", "href")) !== "/roles") await fail("the header's link is not /roles");
await tableDone();

// 2. Every role, with where it comes from; the built-ins and the file's are read-only, saying why.
for (const [name, origin] of [["admin", "builtin"], ["power", "builtin"], ["user", "builtin"], ["auditor", "builtin"], ["helpdesk", "config"], ["ward3", "api"]]) {
  const got = await page.getAttribute(row(name), "data-origin").catch(() => null);
  if (got !== origin) await fail(`role ${name}: origin ${got}, expected ${origin}`);
}
for (const name of ["admin", "helpdesk"]) {
  if ((await page.$$(`${row(name)} [data-testid=role-edit], ${row(name)} [data-testid=role-delete]`)).length > 0) await fail(`${name} can be edited`);
}
if (!(await cellText("helpdesk", "actions")).includes("loupe.toml")) await fail(`helpdesk's note: ${await cellText("helpdesk", "actions")}`);
if (!(await cellText("admin", "actions")).toLowerCase().includes("built in")) await fail(`admin's note: ${await cellText("admin", "actions")}`);
if (!(await cellText("helpdesk", "mask")).includes("fr_nir")) await fail(`helpdesk's masks: ${await cellText("helpdesk", "mask")}`);
if (!(await cellText("auditor", "default_indexes")).includes("_audit")) await fail(`auditor's default indexes: ${await cellText("auditor", "default_indexes")}`);
if (!(await cellText("ward3", "holders")).includes("nina")) await fail(`ward3 held by: ${await cellText("ward3", "holders")}`);
// A row filter is text: its markup makes no element.
const filter = await cellText("ward3", "search_filter");
if (!filter.includes("<b>bold</b>")) await fail(`ward3's filter shown as ${filter}`);
if ((await page.$$(`${row("ward3")} td[data-field=search_filter] b`)).length > 0) await fail("markup of a row filter became an element");

// 3. A new role: what the server refuses is said in the form, which stays open.
await page.click("[data-testid=role-new]");
await page.waitForSelector("[data-testid=role-form]", T);
const form = "[data-testid=role-form]";
await page.fill(`${form} input[name=name]`, "triage");
await page.fill(`${form} input[name=indexes_allowed]`, "main, web*");
await page.fill(`${form} input[name=indexes_denied]`, "web_secret");
await page.fill(`${form} input[name=search_filter]`, "a | head 1");
await page.fill(`${form} input[name=max_time_window]`, "7d");
await page.check(`${form} input[name=mask][value=fr_nir]`);
let r = await answer("POST", "/api/v1/roles", () => page.click("[data-testid=role-save]"));
if (r.status() !== 400) await fail(`a bad row filter answered ${r.status()}`);
await page.waitForFunction(() => document.querySelector("[data-testid=role-form] [data-testid=role-form-error]")?.textContent !== "", null, T);
const refused = await page.textContent(`${form} [data-testid=role-form-error]`);
if (!refused.includes("search_filter")) await fail(`the form says: ${refused}`);
if (await page.$(row("triage"))) await fail("a refused role is in the table");

// 4. Corrected, it is made and listed with what it holds.
await page.fill(`${form} input[name=search_filter]`, "ward=5");
r = await answer("POST", "/api/v1/roles", () => page.click("[data-testid=role-save]"));
if (r.status() !== 201) await fail(`creation answered ${r.status()}: ${await r.text()}`);
await page.waitForSelector(row("triage"), T);
if (await page.$(form)) await fail("the form is still open after the creation");
if (!(await message()).includes("triage")) await fail(`message: ${await message()}`);
if ((await page.getAttribute(row("triage"), "data-origin")) !== "api") await fail("triage is not an API role");
for (const [field, want] of [["indexes_allowed", "main"], ["indexes_allowed", "web*"], ["indexes_denied", "web_secret"], ["search_filter", "ward=5"], ["max_time_window", "7d"], ["mask", "fr_nir"], ["capabilities", "search"], ["holders", "nobody"]]) {
  const got = await cellText("triage", field);
  if (!got.includes(want)) await fail(`triage's ${field}: ${got}, expected ${want}`);
}

// 5. Its row filter changed through the form; the rest of the role is kept.
await page.click(`${row("triage")} [data-testid=role-edit]`);
await page.waitForSelector(form, T);
if (!(await page.isDisabled(`${form} input[name=name]`))) await fail("a role's name can be edited");
if ((await page.inputValue(`${form} input[name=search_filter]`)) !== "ward=5") await fail("the form does not hold the role's filter");
if (!(await page.isChecked(`${form} input[name=mask][value=fr_nir]`))) await fail("the form does not hold the role's mask");
await page.fill(`${form} input[name=search_filter]`, "ward=6 OR ward=7");
if (shots) await page.screenshot({ path: `${shots}/roles-edit.png`, fullPage: true });
r = await answer("PUT", "/api/v1/roles/triage", () => page.click("[data-testid=role-save]"));
if (r.status() !== 200) await fail(`the change answered ${r.status()}: ${await r.text()}`);
await page.waitForFunction(
  () => document.querySelector('[data-testid=roles-table] tr[data-role="triage"] td[data-field=search_filter]')?.textContent === "ward=6 OR ward=7",
  null,
  T,
);
for (const [field, want] of [["mask", "fr_nir"], ["max_time_window", "7d"], ["indexes_denied", "web_secret"]]) {
  const got = await cellText("triage", field);
  if (!got.includes(want)) await fail(`after the edit, triage's ${field}: ${got}`);
}

// 6. A role in use is not deleted: the server's 409 is shown, naming who holds it.
await page.click(`${row("ward3")} [data-testid=role-delete]`);
await page.waitForSelector(`${row("ward3")} [data-testid=role-delete][data-armed=true]`, T);
r = await answer("DELETE", "/api/v1/roles/ward3", () => page.click(`${row("ward3")} [data-testid=role-delete]`));
if (r.status() !== 409) await fail(`deleting a held role answered ${r.status()}`);
await page.waitForSelector("[data-testid=roles-message][data-state=failed]", T);
const why = await message();
if (!why.includes("nina") || !why.includes("ward3")) await fail(`the refusal says: ${why}`);
if (!(await page.$(row("ward3")))) await fail("the held role left the table");
if (shots) await page.screenshot({ path: `${shots}/roles-409.png`, fullPage: true });

// 7. One nobody holds is deleted, after a second click.
await page.click(`${row("triage")} [data-testid=role-delete]`);
await page.waitForSelector(`${row("triage")} [data-testid=role-delete][data-armed=true]`, T);
r = await answer("DELETE", "/api/v1/roles/triage", () => page.click(`${row("triage")} [data-testid=role-delete]`));
if (r.status() !== 204) await fail(`deleting triage answered ${r.status()}`);
await page.waitForSelector(row("triage"), { state: "detached", timeout: 30000 });
await page.waitForSelector("[data-testid=roles-message][data-state=done]", T);
if (!(await message()).includes("triage")) await fail(`message: ${await message()}`);
if (shots) await page.screenshot({ path: `${shots}/roles-page.png`, fullPage: true });

// 8. A user without capability admin is not offered the page, is refused it, and so is the API.
await page.click("[data-testid=logout]");
await signIn(user);
if (!(await page.textContent("[data-testid=who]")).includes(user)) await fail("not signed in as the user");
if ((await page.$$("[data-testid=nav-roles]")).length > 0) await fail("a user is offered the roles page");
await page.goto(`${url}/roles`);
await page.waitForSelector("[data-testid=roles-error]", T);
const refusal = await page.textContent("[data-testid=roles-error]");
if (!refusal.includes("admin")) await fail(`the page says: ${refusal}`);
if (await page.$("[data-testid=roles-table]")) await fail("a user sees the roles table");
if (!(await page.isDisabled("[data-testid=role-new]"))) await fail("a user is offered to make a role");
// The API itself, from the page, with the user's session cookie (same origin: not a CSRF refusal).
const api = await page.evaluate(async () => {
  const list = await fetch("/api/v1/roles");
  const made = await fetch("/api/v1/roles", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ name: "mine", indexes_allowed: ["*", "_*"] }),
  });
  const gone = await fetch("/api/v1/roles/ward3", { method: "DELETE" });
  return [list.status, made.status, gone.status, (await made.json()).error];
});
if (api[0] !== 403 || api[1] !== 403 || api[2] !== 403) await fail(`the API answered a user ${api.slice(0, 3)}`);
if (!String(api[3]).includes("admin")) await fail(`the API's refusal: ${api[3]}`);

if (errors.length) await fail(`page errors: ${errors.join("; ")}`);
await browser.close();
console.log("roles test passed");
