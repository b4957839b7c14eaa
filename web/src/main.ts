// The console's entry: the header (pages, language), then the page of the path; without an
// API token in the tab, the browser session decides (the sign-in page when there is none).

import "./style.css";
import { rolesPage } from "./access/roles";
import { api, Me, token } from "./api";
import { dashboardsList } from "./dashboards/list";
import { dashboardPage } from "./dashboards/view";
import { Lang, LANGS, lang, setLang, t } from "./i18n";
import { loginPage, setupPage, signedIn } from "./login";
import { savedPage } from "./saved/page";
import { searchPage } from "./search/page";

function headerBar(): void {
  const top = document.querySelector<HTMLElement>("header.top")!;
  top.textContent = "";
  const brand = document.createElement("a");
  brand.className = "brand";
  brand.href = "/search";
  brand.textContent = "Loupe";
  const nav = document.createElement("nav");
  for (const [href, key] of [
    ["/search", "nav.search"],
    ["/saved", "nav.saved"],
    ["/alerts", "nav.alerts"],
    ["/dashboards", "nav.dashboards"],
  ] as const) {
    const a = document.createElement("a");
    a.href = href;
    a.textContent = t(key);
    if (location.pathname.startsWith(href)) a.className = "current";
    nav.append(a);
  }
  const pick = document.createElement("select");
  pick.className = "lang";
  pick.dataset.testid = "lang";
  pick.setAttribute("aria-label", t("nav.language"));
  for (const l of LANGS) {
    const o = document.createElement("option");
    o.value = l;
    o.textContent = l === "fr" ? "Français" : "English";
    o.selected = l === lang();
    pick.append(o);
  }
  // Every string of the page is drawn in the language: the page is drawn again.
  pick.onchange = () => {
    setLang(pick.value as Lang);
    location.reload();
  };
  top.append(brand, nav, pick);
}

/** The pages only some principals may use, once the server says who this is (`/api/v1/me`). */
function accessNav(me: Me): void {
  const nav = document.querySelector<HTMLElement>("header.top nav");
  // `/api/v1/roles` asks for capability admin: the page is offered to those who have it.
  if (!nav || !me.capabilities.includes("admin")) return;
  const a = document.createElement("a");
  a.href = "/roles";
  a.dataset.testid = "nav-roles";
  a.textContent = t("nav.roles");
  if (location.pathname.startsWith("/roles")) a.className = "current";
  nav.append(a);
}

document.documentElement.lang = lang();
headerBar();
const root = document.getElementById("app")!;
const path = location.pathname.replace(/\/+$/, "") || "/";
const dashboard = path.match(/^\/dashboards\/([^/]+)$/);
/** The page of the path. */
function route(): void {
  if (path === "/" || path.startsWith("/search")) {
    if (path === "/") history.replaceState(null, "", "/search" + location.search);
    searchPage(root);
  } else if (path === "/saved" || path === "/alerts") {
    savedPage(root, path === "/saved" ? "saved" : "alerts");
  } else if (path === "/dashboards") {
    dashboardsList(root);
  } else if (dashboard) {
    dashboardPage(root, decodeURIComponent(dashboard[1]));
  } else if (path === "/roles") {
    rolesPage(root);
  } else {
    const p = document.createElement("p");
    p.textContent = t("page.none", { path: location.pathname });
    root.append(p);
  }
}

if (path === "/setup") {
  // Before `token()`: the setup link's `?token=` is not an API token.
  setupPage(root);
} else if (token()) {
  // Who the token is (a token the server refuses is forgotten there and the page asks for another).
  api.whoami().then(accessNav).catch(() => {});
  route();
} else {
  api
    .me()
    .then((me) => {
      signedIn(me);
      accessNav(me);
      if (path === "/login") location.assign("/search");
      else route();
    })
    .catch(() => loginPage(root));
}
