// The sign-in page (a password checked by the server, which answers with an HttpOnly
// session cookie) and the one-time setup page of the first administrator.

import { api, ApiError, Me, setToken } from "./api";
import { t } from "./i18n";

function field(label: string, name: string, type: string): [HTMLLabelElement, HTMLInputElement] {
  const l = document.createElement("label");
  l.textContent = label;
  const input = document.createElement("input");
  input.name = name;
  input.type = type;
  input.required = true;
  input.autocomplete = type === "password" ? "current-password" : "username";
  l.append(input);
  return [l, input];
}

/** The sign-in form; on success the page is drawn again, now signed in. */
export function loginPage(root: HTMLElement): void {
  root.textContent = "";
  const form = document.createElement("form");
  form.className = "login-form";
  form.dataset.testid = "login";
  const h = document.createElement("h1");
  h.textContent = t("login.title");
  const [ul, user] = field(t("login.user"), "user", "text");
  const [pl, password] = field(t("login.password"), "password", "password");
  const button = document.createElement("button");
  button.textContent = t("login.submit");
  const message = document.createElement("p");
  message.className = "error";
  message.dataset.testid = "login-error";
  form.append(h, ul, pl, button, message);
  form.onsubmit = async (e) => {
    e.preventDefault();
    message.textContent = "";
    try {
      await api.login(user.value.trim(), password.value);
      if (location.pathname === "/login") location.assign("/search");
      else location.reload();
    } catch {
      message.textContent = t("login.failed");
    }
  };
  root.append(form);
  tokenForm(root);
}

/** The API token form (a `[[tokens]]` entry, or a user's token), below the sign-in form. */
function tokenForm(root: HTMLElement): void {
  const or = document.createElement("p");
  or.textContent = t("login.token");
  root.append(or);
  const form = document.createElement("form");
  form.className = "token-form";
  const label = document.createElement("label");
  label.textContent = t("token.label");
  const input = document.createElement("input");
  input.type = "password";
  input.name = "token";
  const button = document.createElement("button");
  button.textContent = t("token.continue");
  form.append(label, input, button);
  form.onsubmit = (e) => {
    e.preventDefault();
    setToken(input.value.trim());
    location.reload();
  };
  root.append(form);
}

/** Who is signed in, and the sign-out button, at the end of the header. */
export function signedIn(me: Me): void {
  const top = document.querySelector<HTMLElement>("header.top");
  if (!top) return;
  const who = document.createElement("span");
  who.className = "who";
  who.dataset.testid = "who";
  who.textContent = t("login.signedin", { user: me.user, role: me.role });
  const out = document.createElement("button");
  out.dataset.testid = "logout";
  out.textContent = t("login.logout");
  out.onclick = async () => {
    await api.logout().catch(() => undefined);
    location.assign("/login");
  };
  top.append(who, out);
}

/** `/setup?token=…`: the first administrator, with the secret the server printed once. */
export function setupPage(root: HTMLElement): void {
  const url = new URL(location.href);
  const secret = url.searchParams.get("token") ?? "";
  // The secret leaves the address bar (and the history) at once.
  history.replaceState(null, "", "/setup");
  const form = document.createElement("form");
  form.className = "login-form";
  form.dataset.testid = "setup";
  const h = document.createElement("h1");
  h.textContent = t("setup.title");
  const [ul, user] = field(t("login.user"), "user", "text");
  const [pl, password] = field(t("login.password"), "password", "password");
  password.autocomplete = "new-password";
  const button = document.createElement("button");
  button.textContent = t("setup.submit");
  const message = document.createElement("p");
  message.dataset.testid = "setup-message";
  form.append(h, ul, pl, button, message);
  form.onsubmit = async (e) => {
    e.preventDefault();
    try {
      await api.setup(secret, user.value.trim(), password.value);
      message.textContent = t("setup.done");
      location.assign("/login");
    } catch (err) {
      message.textContent = t("setup.failed", { message: err instanceof ApiError ? err.message : String(err) });
    }
  };
  root.append(form);
}
