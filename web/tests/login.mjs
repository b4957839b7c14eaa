// The sign-in page in a real browser (Debian's chromium through playwright-core) against a
// running `loupe serve` with user USER (password PASSWORD, a masked role) and an event with a
// NIR: node tests/login.mjs URL USER PASSWORD. Exits non-zero at the first failed check.

import { launch } from "./browser.mjs";

const [url, user, password] = process.argv.slice(2);
const { browser, fail } = await launch("login");
const context = await browser.newContext();
const page = await context.newPage();
const errors = [];
page.on("pageerror", (e) => errors.push(String(e)));

// 1. Without a token or a session, the console asks to sign in (in French when asked to).
await page.goto(`${url}/search?q=${encodeURIComponent("ward=3")}&earliest=-90d&latest=`);
await page.waitForSelector("[data-testid=login]", { timeout: 30000 });

// 2. A wrong password is refused, with the message, and no cookie.
await page.fill("[data-testid=login] input[name=user]", user);
await page.fill("[data-testid=login] input[name=password]", "not the password");
await page.click("[data-testid=login] button");
await page.waitForFunction(() => document.querySelector("[data-testid=login-error]")?.textContent !== "", null, { timeout: 15000 });
if ((await context.cookies()).some((c) => c.name === "loupe_session")) await fail("a cookie after a failed login");

// 3. The right one signs in: the cookie is HttpOnly and SameSite=Strict, no script sees it,
// and the search runs with the role's masking.
await page.fill("[data-testid=login] input[name=password]", password);
await page.click("[data-testid=login] button");
await page.waitForSelector("[data-testid=who]", { timeout: 30000 });
const cookie = (await context.cookies()).find((c) => c.name === "loupe_session");
if (!cookie) await fail("no session cookie");
if (!cookie.httpOnly || cookie.sameSite !== "Strict") await fail(`cookie flags: ${JSON.stringify(cookie)}`);
if ((await page.evaluate(() => document.cookie)).includes("loupe_session")) await fail("a script reads the session cookie");
const who = await page.textContent("[data-testid=who]");
if (!who.includes(user)) await fail(`header shows ${who}`);
await page.waitForSelector("[data-testid=status][data-state=done]", { timeout: 60000 });
const raw = await page.textContent(".event-raw");
if (!raw.includes("1 85 05 ** *** *** **") || raw.includes("701 169")) await fail(`event not masked: ${raw}`);

// 4. Sign out: back to the sign-in page, and the old cookie no longer works on the server.
await page.click("[data-testid=logout]");
await page.waitForSelector("[data-testid=login]", { timeout: 30000 });
const me = await fetch(`${url}/api/v1/me`, { headers: { Cookie: `loupe_session=${cookie.value}` } });
if (me.status !== 401) await fail(`the session still works after sign-out: ${me.status}`);

if (errors.length) await fail(`page errors: ${errors.join("; ")}`);
await browser.close();
console.log("login test passed");
