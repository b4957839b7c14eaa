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
if (errors.length) await fail(`page errors: ${errors.join("; ")}`);
await browser.close();
console.log("console test passed");
