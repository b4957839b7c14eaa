// The console's entry: picks the page from the path; asks for an API token once.

import "./style.css";
import { setToken, token } from "./api";
import { searchPage } from "./search/page";

function tokenForm(root: HTMLElement): void {
  const form = document.createElement("form");
  form.className = "token-form";
  const label = document.createElement("label");
  label.textContent = "API token (a [[tokens]] entry of loupe.toml)";
  const input = document.createElement("input");
  input.type = "password";
  input.name = "token";
  const button = document.createElement("button");
  button.textContent = "Continue";
  form.append(label, input, button);
  form.onsubmit = (e) => {
    e.preventDefault();
    setToken(input.value.trim());
    location.reload();
  };
  root.append(form);
}

const root = document.getElementById("app")!;
if (!token()) {
  tokenForm(root);
} else if (location.pathname === "/" || location.pathname.startsWith("/search")) {
  if (location.pathname === "/") history.replaceState(null, "", "/search" + location.search);
  searchPage(root);
} else {
  const p = document.createElement("p");
  p.textContent = `No page at ${location.pathname}.`;
  root.append(p);
}
