// The headless Debian chromium every browser test drives, with the flags this closed network
// needs, and the one way a test fails: say why, close the browser, exit 1.
import { chromium } from "playwright-core";

export async function launch(name) {
  const browser = await chromium.launch({
    executablePath: process.env.LOUPE_BROWSER || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const fail = async (msg) => {
    console.error(`${name} test failed: ${msg}`);
    await browser.close();
    process.exit(1);
  };
  return { browser, fail };
}
