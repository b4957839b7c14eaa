// Drives the console in a real browser (Debian's chromium through playwright-core) against a
// running `loupe serve` holding the web samples: node tests/console.mjs URL TOKEN.
// Exits non-zero with a message at the first check that fails.

import { launch } from "./browser.mjs";

const [url, token] = process.argv.slice(2);
const { browser, fail } = await launch("console");
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
const errors = [];
page.on("pageerror", (e) => errors.push(String(e)));
page.on("dialog", async (d) => {
  errors.push(`a dialog opened: ${d.message()}`);
  await d.dismiss();
});
const api = async (path, body) => {
  const r = await fetch(url + path, {
    method: body ? "POST" : "GET",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  return r.json();
};

const shots = process.env.LOUPE_SCREENSHOT_DIR || "";

// 1. A shared URL runs its search: events, timeline over the whole range, fields.
const q = "index=web status=404";
const expected = (await api("/api/v1/search", { query: `${q} | stats count` })).rows[0].count;
await page.goto(`${url}/search?q=${encodeURIComponent(q)}&earliest=&latest=#token=${token}`);
await page.waitForSelector('[data-testid=status][data-state=done]', { timeout: 60000 });
const shown = await page.getAttribute("[data-testid=events]", "data-count");
if (Number(shown) !== Math.min(expected, 10000)) await fail(`events: ${shown}, expected ${expected}`);
const total = await page.getAttribute("[data-testid=timeline]", "data-total");
if (Number(total) !== expected) await fail(`timeline counts ${total}, expected ${expected}`);
const marked = await page.textContent(".event-raw mark");
if (marked !== "404") await fail(`search term not highlighted (${marked})`);
await page.waitForSelector('[data-testid=fields] [data-field="status"]', { timeout: 30000 });
if (!(await page.url()).includes("q=index%3Dweb")) await fail(`the URL does not hold the search: ${page.url()}`);
if (shots) await page.screenshot({ path: `${shots}/search-page.png` });

// 2. Event text is text: a hostile event renders no element and runs nothing.
await page.goto(`${url}/search?q=${encodeURIComponent("xssprobe")}&earliest=&latest=`);
await page.waitForSelector('[data-testid=status][data-state=done]', { timeout: 60000 });
const raw = await page.textContent(".event-raw");
if (!raw.includes("<img src=x onerror=alert(1)>")) await fail(`hostile event not shown as text: ${raw}`);
if ((await page.$$(".event-raw img")).length > 0) await fail("an <img> from event text was created");
// The timeline's axis runs from its first bin's start to its last bin's end (uPlot alone
// ended it at the last bin's start, and stretched a lone bin over a day or more).
await page.waitForSelector("[data-testid=timeline][data-span]", { timeout: 30000 });
const axis = await page.$eval("[data-testid=timeline]", (el) => [el.dataset.from, el.dataset.to, el.dataset.span, el.dataset.bins].map(Number));
if (!(axis[1] - axis[0] === axis[2] * axis[3])) await fail(`the timeline's axis runs ${axis[0]}..${axis[1]} for ${axis[3]} bins of ${axis[2]} s`);

// 3. The editor underlines the parser's error at its span as the user types.
await page.click(".cm-content");
await page.keyboard.press("Control+A");
await page.keyboard.type("index=web | head abc");
await page.waitForSelector(".cm-lintRange-error", { timeout: 15000 });
const under = await page.textContent(".cm-lintRange-error");
if (under !== "abc") await fail(`underlined ${JSON.stringify(under)}, expected "abc"`);

// 4. A transforming search shows its table; a click on a value filters.
await page.goto(`${url}/search?q=${encodeURIComponent("index=web | stats count by status")}&earliest=&latest=`);
await page.waitForSelector('[data-testid=status][data-state=done]', { timeout: 60000 });
const rows = Number(await page.getAttribute("[data-testid=results]", "data-rows"));
if (!(rows >= 2)) await fail(`results table has ${rows} rows`);

// 4b. Statistics sort on a header click (numbers as numbers, again: the other way).
const counts = async () => page.$$eval("[data-testid=results] td[data-field=count]", (tds) => tds.map((td) => Number(td.textContent)));
await page.click("[data-testid=results] th[data-column=count] button");
await page.waitForSelector("[data-testid=results] th[data-column=count][data-sort=asc]");
const asc = await counts();
if (asc.join() !== [...asc].sort((a, b) => a - b).join()) await fail(`not sorted ascending: ${asc}`);
await page.click("[data-testid=results] th[data-column=count] button");
await page.waitForSelector("[data-testid=results] th[data-column=count][data-sort=desc]");
const desc = await counts();
if (desc.join() !== [...asc].reverse().join() || desc[0] <= desc[desc.length - 1]) await fail(`not sorted descending: ${desc}`);

// 4b'. Many rows: only those in view exist, and a sort orders all of them, not only those.
const longTable = "| makeresults count=5000 | streamstats count AS n | eval count=(n * 7919) % 4999 | table n count";
await page.goto(`${url}/search?q=${encodeURIComponent(longTable)}&earliest=&latest=`);
await page.waitForSelector('[data-testid=status][data-state=done]', { timeout: 60000 });
const many = Number(await page.getAttribute("[data-testid=results]", "data-rows"));
const inDom = (await page.$$("[data-testid=results] tbody tr:not(.spacer)")).length;
if (!(many > 100 && inDom < many / 2)) await fail(`table of ${many} rows has ${inDom} in the page`);
const most = 4998;
await page.click("[data-testid=results] th[data-column=count] button");
await page.click("[data-testid=results] th[data-column=count] button");
await page.waitForSelector("[data-testid=results] th[data-column=count][data-sort=desc]");
const top = Number(await page.textContent("[data-testid=results] tbody tr:not(.spacer) td[data-field=count]"));
if (top !== most) await fail(`sorted descending, the first row has ${top}, the most is ${most}`);
await page.goto(`${url}/search?q=${encodeURIComponent("index=web | stats count by status")}&earliest=&latest=`);
await page.waitForSelector('[data-testid=status][data-state=done]', { timeout: 60000 });

// 4c. The Visualization tab draws the rows: columns (uPlot's canvas), then a pie (SVG slices).
await page.click(".tabs .tab[data-tab=viz]");
await page.waitForSelector("[data-testid=viz][data-count] canvas", { timeout: 15000 });
if (!(Number(await page.getAttribute("[data-testid=viz]", "data-count")) >= 2)) await fail("the column chart drew no points");
await page.selectOption("[data-testid=viz-kind]", "pie");
await page.waitForSelector("[data-testid=viz][data-kind=pie] svg.pie path");
if ((await page.$$("[data-testid=viz] svg.pie path")).length !== rows) await fail("the pie has not one slice per row");

// 4d. Export: the CSV file of the search, through /api/v1/export.
const [download] = await Promise.all([page.waitForEvent("download", { timeout: 30000 }), page.click("[data-testid=export-csv]")]);
const csvPath = await download.path();
const csv = (await import("node:fs")).readFileSync(csvPath, "utf8");
if (!csv.startsWith("status,count") || csv.trim().split("\n").length !== rows + 1) await fail(`export: ${csv.slice(0, 200)}`);

// 4e. The query history: the searches run are offered again.
const past = await page.$$eval("[data-testid=history] option", (os) => os.map((o) => o.value));
if (!past.includes("index=web | stats count by status") || !past.includes(q)) await fail(`history: ${past.join(" / ")}`);

await page.screenshot({ path: process.env.LOUPE_SCREENSHOT || "/tmp/loupe-console.png", fullPage: true });

// 4f. Show context: the neighbours of a hit in its host and source, lines the search's filter
// excluded included, the other host's lines not; the hit highlighted; hostile text as text.
await page.goto(`${url}/search?q=ctxerror&earliest=&latest=`);
await page.waitForSelector('[data-testid=status][data-state=done]', { timeout: 60000 });
await page.click("[data-testid=events] [data-testid=show-context]");
await page.waitForSelector("[data-testid=context][data-state=done]", { timeout: 30000 });
const around = await page.$$eval("[data-testid=context] .context-event", (es) => es.map((e) => ({ raw: e.querySelector(".event-raw").textContent, hit: e.dataset.hit === "true" })));
const lines = around.map((e) => e.raw);
const expectedLines = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => `ctx-a line ${i}`);
if (lines.length !== 10 || !lines.every((l, i) => l.startsWith(expectedLines[i]))) await fail(`context lines: ${JSON.stringify(lines)}`);
if (around.filter((e) => e.hit).length !== 1 || !around[5].hit) await fail(`the hit is not the one highlighted: ${JSON.stringify(around)}`);
if (!lines[3].includes("<img src=x onerror=alert(3)>") || (await page.$$("[data-testid=context] img")).length > 0) await fail(`hostile text in context: ${lines[3]}`);
if (shots) await page.screenshot({ path: `${shots}/search-context.png` });
await page.click("[data-testid=context-close]");

// 4g. "Save as" alert from the search page; it is listed on /alerts.
await page.click("[data-testid=save-alert]");
await page.fill("[data-testid=save-form] input[name=name]", "ctx errors");
await page.click("[data-testid=save-form] button[type=submit]");
await page.waitForSelector("[data-testid=save-message][data-state=done]", { timeout: 15000 });
await page.goto(`${url}/alerts`);
await page.waitForSelector('[data-testid=saved-list] .saved-item[data-name="ctx errors"]', { timeout: 15000 });
const managed = await page.$('.saved-item:has(.saved-managed:text("saved-searches/")) [data-testid=toggle]');
if (!managed || !(await managed.isDisabled())) await fail("a managed alert can be switched off from the page, or names no file");

// 4h. /saved: disable, enable, run now, and the run shows in the history with a link to its results.
await page.goto(`${url}/saved`);
const probe = '.saved-item[data-name="probe"]';
await page.waitForSelector(probe, { timeout: 15000 });
await page.click(`${probe} [data-testid=toggle]`);
await page.waitForSelector(`${probe}[data-enabled=false]`, { timeout: 15000 });
await page.click(`${probe} [data-testid=toggle]`);
await page.waitForSelector(`${probe}[data-enabled=true]`, { timeout: 15000 });
await page.click(`${probe} [data-testid=run-now]`);
await page.waitForFunction((sel) => document.querySelectorAll(`${sel} [data-testid=runs] tr`).length >= 3, probe, { timeout: 30000 });
const runLink = await page.getAttribute(`${probe} [data-testid=runs] tr:nth-child(2) a`, "href");
if (!runLink.startsWith("/search?q=index%3Dweb") || !runLink.includes("now=")) await fail(`run link: ${runLink}`);

// 4h'. Editing: the search page's editor holds the query; a change is saved; a managed alert
// cannot be saved and names its file.
await page.goto(`${url}/saved?name=probe`);
await page.waitForSelector("[data-testid=saved-form] .cm-content");
if ((await page.textContent("[data-testid=saved-form] .cm-content")) !== "index=web | stats count") await fail("the editor does not hold the query");
await page.fill("[data-testid=saved-form] input[name=description]", "edited in the browser");
// (The address is already the one saving leads to: wait for the page to be loaded again.)
await Promise.all([page.waitForEvent("load", { timeout: 15000 }), page.click("[data-testid=saved-form] [data-testid=save]")]);
await page.waitForSelector("[data-testid=saved-form] .cm-content");
if ((await api("/api/v1/saved-searches/probe")).description !== "edited in the browser") await fail("the edit was not saved");
await page.goto(`${url}/alerts?name=${encodeURIComponent("Batch silent (daily job without a line in 26 h)")}`);
await page.waitForSelector("[data-testid=saved-form] [data-testid=save]");
if (!(await page.isDisabled("[data-testid=saved-form] [data-testid=save]"))) await fail("a managed alert can be saved");
if (!(await page.textContent("[data-testid=saved-form] .dash-managed")).includes("batch-silent.toml")) await fail("the managed alert does not name its file");

// 4i. Live tail: an event sent by HEC after the tail began shows (as text); paused, the next
// one is held until resumed.
const hec = async (event) => {
  const r = await fetch(`${url}/services/collector/event`, { method: "POST", headers: { Authorization: `Splunk ${token}` }, body: JSON.stringify({ event, index: "main" }) });
  if (!r.ok) await fail(`HEC answered ${r.status}`);
  await fetch(`${url}/api/v1/flush`, { method: "POST", headers: { Authorization: `Bearer ${token}` } });
};
await page.goto(`${url}/search?q=tailprobe&earliest=-5m&latest=`);
await page.waitForSelector('[data-testid=status][data-state=done]', { timeout: 60000 });
await page.click("[data-testid=tail-start]");
await page.waitForSelector(".tail-box[data-state=running]");
await hec("tailprobe one <img src=x onerror=alert(4)>");
await page.waitForSelector("[data-testid=tail][data-count='1']", { timeout: 30000 });
const tailed = await page.textContent("[data-testid=tail] .event-raw");
if (!tailed.includes("tailprobe one <img src=x onerror=alert(4)>") || (await page.$$("[data-testid=tail] img")).length > 0) await fail(`tail shows ${tailed}`);
await page.click("[data-testid=tail-pause]");
await hec("tailprobe two");
await page.waitForFunction(() => /\b1\b/.test(document.querySelector("[data-testid=tail-info]").textContent) && document.querySelector(".tail-box").dataset.state === "paused", null, { timeout: 30000 });
if ((await page.getAttribute("[data-testid=tail]", "data-count")) !== "1") await fail("a paused tail showed an event");
await page.click("[data-testid=tail-pause]");
await page.waitForSelector("[data-testid=tail][data-count='2']", { timeout: 15000 });

// 4j. `?token=` logs in (a new tab without a token): the token leaves the address bar at once
// and is kept in the tab's sessionStorage only; times show in Paris and in the browser's zone.
const fresh = await browser.newContext({ viewport: { width: 1400, height: 900 }, timezoneId: "America/New_York" });
const tab = await fresh.newPage();
tab.on("pageerror", (e) => errors.push(String(e)));
await tab.goto(`${url}/search?q=${encodeURIComponent(q)}&earliest=&latest=&token=${token}`);
await tab.waitForSelector('[data-testid=status][data-state=done]', { timeout: 60000 });
if (tab.url().includes("token")) await fail(`the token stayed in the address: ${tab.url()}`);
const kept = await tab.evaluate(() => [sessionStorage.getItem("loupe.token"), localStorage.getItem("loupe.token")]);
if (kept[0] !== token || kept[1] !== null) await fail(`token kept as ${JSON.stringify(kept)}`);
const local = await tab.textContent("[data-testid=events] .time-local");
if (!local) await fail("no time in the browser's zone beside Paris time");
// A wrong token is forgotten and the page asks for one, once; the right one signs in.
await tab.goto(`${url}/search?token=wrong-token`);
await tab.waitForSelector(".token-form input[name=token]", { timeout: 15000 });
await tab.fill(".token-form input[name=token]", token);
await Promise.all([tab.waitForEvent("load"), tab.click(".token-form button")]);
await tab.waitForSelector("[data-testid=run]", { timeout: 15000 });
await fresh.close();

// 5. Every bundled dashboard draws every panel (the batch one as of a day of the samples).
const asOf = encodeURIComponent("2026-03-13T12:00:00+01:00");
const allDrawn = async (name, least = 3, emptyOk = false) => {
  await page.waitForSelector("[data-testid=dash-grid] .panel", { timeout: 30000 });
  await page.waitForFunction(
    () => [...document.querySelectorAll(".panel")].every((p) => p.dataset.state === "done" || p.dataset.state === "failed"),
    null,
    { timeout: 90000 },
  );
  const panels = await page.$$eval(".panel", (ps) =>
    ps.map((p) => ({ title: p.querySelector(".panel-title")?.textContent, state: p.dataset.state, count: Number(p.dataset.count ?? 0), error: p.querySelector(".panel-error")?.textContent ?? "" })),
  );
  if (panels.length < least) await fail(`${name}: ${panels.length} panels`);
  for (const p of panels) {
    if (p.state !== "done" || !(p.count > 0 || emptyOk)) await fail(`${name}: panel ${JSON.stringify(p.title)} drew no data (${p.state} ${p.count} ${p.error})`);
  }
};
const dashboards = [
  ["batch-jobs", `?now=${asOf}`],
  ["ssh-security", ""],
  // The inputs' values come from the address: the week of the portal's samples.
  ["patient-portal", `?form.time.earliest=${encodeURIComponent("2026-03-02T00:00:00+01:00")}&form.time.latest=${encodeURIComponent("2026-03-09T00:00:00+01:00")}`],
  ["loupe", ""],
];
for (const [id, query] of dashboards) {
  await page.goto(`${url}/dashboards/${id}${query}`);
  await allDrawn(id);
  if (shots && id !== "batch-jobs") await page.screenshot({ path: `${shots}/dashboard-${id}.png`, fullPage: true });
}
await page.goto(`${url}/dashboards`);
await page.waitForSelector("[data-testid=dash-list] li[data-id=loupe]", { timeout: 15000 });

// 5b. "Save as dashboard panel": a search becomes the first panel of a new dashboard (its type
// guessed from the search: a bare stats is a single value), another joins it below; both draw.
const savePanel = async (q, fill) => {
  await page.goto(`${url}/search?q=${encodeURIComponent(q)}&earliest=&latest=`);
  await page.waitForSelector('[data-testid=status][data-state=done]', { timeout: 60000 });
  await page.click("[data-testid=save-panel]");
  await page.waitForSelector("[data-testid=save-form] select[name=dashboard]");
  await fill();
  await page.click("[data-testid=save-form] button[type=submit]");
  await page.waitForSelector("[data-testid=save-message][data-state=done]", { timeout: 15000 });
};
await savePanel("ctxerror | stats count", async () => {
  if ((await page.inputValue("[data-testid=save-form] select[name=type]")) !== "single") await fail("a bare stats is not offered as a single value");
  await page.fill("[data-testid=save-form] input[name=id]", "from-search");
  await page.fill("[data-testid=save-form] input[name=dashboard_title]", "From the search page");
  await page.fill("[data-testid=save-form] input[name=title]", "Context errors");
});
await savePanel("ctxerror", async () => {
  await page.selectOption("[data-testid=save-form] select[name=dashboard]", "from-search");
  await page.fill("[data-testid=save-form] input[name=title]", "Context events");
});
await page.click("[data-testid=save-message] a");
await page.waitForURL(/\/dashboards\/from-search$/, { timeout: 15000 });
await allDrawn("from-search", 2);
const savedTitles = await page.$$eval(".panel .panel-title", (ts) => ts.map((e) => e.textContent));
if (savedTitles.join("|") !== "Context errors|Context events") await fail(`panels saved from the search page: ${savedTitles}`);

// 6. The status board of the batch world: one tile per job, all three colours.
await page.goto(`${url}/dashboards/batch-jobs?now=${asOf}`);
await allDrawn("batch-jobs");
const colours = await page.$$eval(".status-board .tile", (ts) => ts.map((t) => t.dataset.status));
for (const c of ["green", "red", "grey"]) {
  if (!colours.includes(c)) await fail(`status board has no ${c} tile: ${colours.join(",")}`);
}
if (colours.includes("unknown")) await fail(`a tile without a status: ${colours.join(",")}`);
const greyTile = await page.textContent(".status-board .tile[data-status=grey] .tile-label");
if (!greyTile.includes("import_adherents")) await fail(`the silent job is not the grey tile: ${greyTile}`);
if (shots) {
  await page.screenshot({ path: `${shots}/dashboard-batch-jobs.png`, fullPage: true });
  await (await page.$(".panel-status")).screenshot({ path: `${shots}/status-board.png` });
}

// 7. A drill-down to a dashboard: the client clicked becomes the dashboard's input, in the address.
const clientCell = await page.$('.panel:has(.panel-title:text("Errors in the last 7 days")) td[data-field=client]');
const picked = (await clientCell.textContent()).trim();
await Promise.all([page.waitForURL(/form\.client=/, { timeout: 15000 }), clientCell.click()]);
await allDrawn("batch-jobs for one client", 3, true);
const tiles = await page.$$eval(".status-board .tile .tile-label", (ts) => ts.map((t) => t.textContent));
if (tiles.length === 0 || !tiles.every((l) => l.startsWith(`${picked} /`))) await fail(`tiles for ${picked}: ${tiles.join(", ")}`);
if ((await page.$eval(".dash-input[data-token=client] select", (s) => s.value)) !== picked) await fail("the dropdown does not show the client");
if (!page.url().includes("now=")) await fail(`the drill-down lost the page's now: ${page.url()}`);

// 8. A drill-down from a table cell lands on the search page with the row's value in the query.
await page.goto(`${url}/dashboards/batch-jobs?now=${asOf}`);
await allDrawn("batch-jobs");
const cell = await page.$('.panel:has(.panel-title:text("Errors in the last 24 hours")) td[data-field=client]');
if (!cell) await fail("no client cell in the 24 hours table");
const client = (await cell.textContent()).trim();
await Promise.all([page.waitForURL(/\/search\?/, { timeout: 15000 }), cell.click()]);
const drilled = new URL(page.url()).searchParams.get("q") ?? "";
if (!drilled.includes(client) || !drilled.startsWith("index=batchs ERROR")) await fail(`drill-down query ${JSON.stringify(drilled)} lacks ${client}`);
await page.waitForSelector('[data-testid=status][data-state=done]', { timeout: 60000 });

// 9. The forwarder fleet: a forwarder silent for 5 minutes is a red row (the dashboard seen
// from 10 minutes later).
const later = encodeURIComponent(new Date(Date.now() + 10 * 60 * 1000).toISOString());
await page.goto(`${url}/dashboards/loupe?now=${later}`);
await allDrawn("loupe, 10 minutes later");
const fleetRows = await page.$$eval('.panel:has(.panel-title:text("Forwarder fleet")) tbody tr', (rs) => rs.map((r) => r.className));
if (fleetRows.length === 0 || !fleetRows.every((c) => c.includes("row-red"))) await fail(`fleet rows 10 minutes later: ${fleetRows}`);
const versions = await page.$$eval('.panel:has(.panel-title:text("Forwarder fleet")) td[data-field=version]', (ts) => ts.map((t) => t.textContent.trim()));
if (versions.length === 0 || !versions.every((v) => /^\d+\.\d+\.\d+/.test(v))) await fail(`fleet versions: ${versions}`);

// 10. Edit mode: a new dashboard from the template is saved and drawn; a broken panel is refused
// with the server's message; a managed one cannot be saved.
await page.goto(`${url}/dashboards/made-in-browser?edit=1`);
await page.waitForSelector("[data-testid=save]");
await Promise.all([page.waitForURL(/\/dashboards\/made-in-browser$/, { timeout: 15000 }), page.click("[data-testid=save]")]);
await allDrawn("made-in-browser", 1);
await page.goto(`${url}/dashboards/made-in-browser?edit=1`);
await page.waitForSelector(".json-editor .cm-content");
await page.click(".json-editor .cm-content");
await page.keyboard.press("Control+A");
await page.keyboard.insertText(JSON.stringify({ id: "made-in-browser", title: "x", panels: [{ title: "p", type: "table", query: "index=web | head abc" }] }));
await page.click("[data-testid=save]");
await page.waitForSelector("[data-testid=dash-message][data-state=failed]", { timeout: 15000 });
const refused = await page.textContent("[data-testid=dash-message]");
if (!refused.includes("panel 1") || !refused.includes("head")) await fail(`refusal message: ${refused}`);
await page.goto(`${url}/dashboards/loupe?edit=1`);
await page.waitForSelector("[data-testid=save]");
if (!(await page.isDisabled("[data-testid=save]"))) await fail("a managed dashboard can be saved");

// 11. In French: the header, the search page and a dashboard speak French.
await page.goto(`${url}/search`);
await page.selectOption("[data-testid=lang]", "fr");
await page.waitForSelector('header.top nav a:text("Tableaux de bord")', { timeout: 15000 });
if ((await page.textContent("[data-testid=run]")) !== "Rechercher") await fail("the search button is not in French");
await page.goto(`${url}/dashboards/batch-jobs?now=${asOf}`);
await allDrawn("batch-jobs (fr)");
const tileStatus = await page.textContent(".status-board .tile[data-status=red] .tile-status");
if (tileStatus !== "en erreur") await fail(`tile status in French: ${tileStatus}`);
if ((await page.textContent("[data-testid=refresh]")) !== "Actualiser") await fail("the refresh button is not in French");
await page.selectOption("[data-testid=lang]", "en");
await page.waitForSelector('header.top nav a:text("Dashboards")', { timeout: 15000 });

if (errors.length) await fail(`page errors: ${errors.join("; ")}`);
await browser.close();
console.log("console test passed");
