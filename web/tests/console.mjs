// Drives the console in a real browser (Debian's chromium through playwright-core) against a
// running `loupe serve` holding the web samples: node tests/console.mjs URL TOKEN.
// Exits non-zero with a message at the first check that fails.

import { chromium } from "playwright-core";

const [url, token] = process.argv.slice(2);
const executablePath = process.env.LOUPE_BROWSER || "/usr/bin/chromium";
const browser = await chromium.launch({
  executablePath,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const fail = async (msg) => {
  console.error(`console test failed: ${msg}`);
  await browser.close();
  process.exit(1);
};
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

// 2. Event text is text: a hostile event renders no element and runs nothing.
await page.goto(`${url}/search?q=${encodeURIComponent("xssprobe")}&earliest=&latest=`);
await page.waitForSelector('[data-testid=status][data-state=done]', { timeout: 60000 });
const raw = await page.textContent(".event-raw");
if (!raw.includes("<img src=x onerror=alert(1)>")) await fail(`hostile event not shown as text: ${raw}`);
if ((await page.$$(".event-raw img")).length > 0) await fail("an <img> from event text was created");

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

await page.screenshot({ path: process.env.LOUPE_SCREENSHOT || "/tmp/loupe-console.png", fullPage: true });

// 5. Every bundled dashboard draws every panel (the batch one as of a day of the samples).
const shots = process.env.LOUPE_SCREENSHOT_DIR || "";
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
