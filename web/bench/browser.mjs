// The console's browser benchmark (not a test; `make bench` runs it through
// scripts/bench_browser.py): node bench/browser.mjs URL TOKEN QUERY. In Debian's chromium it
// measures the compressed JavaScript of a first load, the time from pressing Enter to the first
// event drawn (median of 5), and the frame rate while scrolling 10,000 events and a 1,000-row
// table. Prints one JSON object.

import { chromium } from "playwright-core";

const [url, token, query] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.LOUPE_BROWSER || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
});
const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
const page = await context.newPage();
const out = {};

// 1. First load: the bytes of script on the wire (gzip as served), from a cold cache.
await page.goto(`${url}/search?token=${token}`);
await page.waitForSelector(".cm-content");
out.js_gzip_bytes = await page.evaluate(() =>
  performance
    .getEntriesByType("resource")
    .filter((e) => e.initiatorType === "script" || e.name.endsWith(".js"))
    .reduce((n, e) => n + e.encodedBodySize, 0),
);

// 2. Enter to the first event on screen, measured in the page (keydown to the first row).
const enter = [];
for (let i = 0; i < 5; i++) {
  await page.goto(`${url}/search?earliest=&latest=`);
  await page.waitForSelector(".cm-content");
  await page.click(".cm-content");
  await page.keyboard.insertText(`${query} ${i > 0 ? `NOT run${i}` : ""}`.trim());
  await page.evaluate(() => {
    window.__first = new Promise((resolve) => {
      let t0 = 0;
      document.addEventListener("keydown", (e) => {
        if (e.key === "Enter") t0 = performance.now();
      }, { capture: true, once: true });
      const box = document.querySelector("[data-testid=events]");
      new MutationObserver((_, obs) => {
        if (t0 && box.querySelector(".event")) {
          obs.disconnect();
          resolve(performance.now() - t0);
        }
      }).observe(box, { childList: true, subtree: true });
    });
  });
  await page.keyboard.press("Enter");
  enter.push(await page.evaluate(() => window.__first));
}
enter.sort((a, b) => a - b);
out.enter_to_first_event_ms = enter;
out.enter_to_first_event_median_ms = enter[2];

/** Scrolls `selector` down by a step each frame for 3 s: frames per second and the longest frame. */
const scroll = (selector) =>
  page.evaluate(
    (sel) =>
      new Promise((resolve) => {
        const box = document.querySelector(sel);
        const frames = [];
        const start = performance.now();
        let last = start;
        const step = (now) => {
          frames.push(now - last);
          last = now;
          box.scrollTop += 120;
          if (box.scrollTop + box.clientHeight >= box.scrollHeight) box.scrollTop = 0;
          if (now - start < 3000) requestAnimationFrame(step);
          else resolve({ fps: (frames.length - 1) / ((now - start) / 1000), worst_frame_ms: Math.max(...frames.slice(1)), rows: box.dataset.count ?? box.dataset.rows });
        };
        requestAnimationFrame(step);
      }),
    selector,
  );

// 3. 10,000 events.
await page.goto(`${url}/search?q=${encodeURIComponent(`${query} | head 10000`)}&earliest=&latest=`);
await page.waitForSelector("[data-testid=status][data-state=done]", { timeout: 600000 });
out.events_shown = Number(await page.getAttribute("[data-testid=events]", "data-count"));
out.scroll_events = await scroll("[data-testid=events]");

// 4. A 1,000-row table.
await page.goto(`${url}/search?q=${encodeURIComponent(`${query} | head 1000 | table _time host source sourcetype _raw`)}&earliest=&latest=`);
await page.waitForSelector("[data-testid=status][data-state=done]", { timeout: 600000 });
out.table_rows = Number(await page.getAttribute("[data-testid=results]", "data-rows"));
out.scroll_table = await scroll("[data-testid=results]");

await browser.close();
console.log(JSON.stringify(out));
