// "Save as" from the search page: the search as a saved search (maybe scheduled) or as an alert
// (a schedule, a condition on the number of results, a throttle), through POST
// /api/v1/saved-searches; the server's refusal is shown as it says it.

import { api, ApiError, SavedSearch } from "../api";
import { t } from "../i18n";

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function field(label: string, input: HTMLElement): HTMLLabelElement {
  const l = el("label", "form-field");
  l.append(el("span", "input-label", label), input);
  return l;
}

function input(name: string, value = "", placeholder = ""): HTMLInputElement {
  const i = el("input");
  i.name = name;
  i.value = value;
  i.placeholder = placeholder;
  return i;
}

/** Opens the form for the search `query` over `earliest`–`latest` as a `kind`. */
export function saveAs(kind: "saved" | "alert", query: string, earliest: string, latest: string): void {
  document.querySelector(".save-panel")?.remove();
  const panel = el("form", "save-panel");
  panel.dataset.testid = "save-form";
  panel.setAttribute("role", "dialog");
  const title = el("h2", undefined, kind === "alert" ? t("save.alert") : t("save.saved"));
  const name = input("name");
  name.required = true;
  const shown = el("pre", "save-query", query);
  const cron = input("cron", kind === "alert" ? "*/15 * * * *" : "", t("save.cron.hint"));
  const quantity = input("quantity", "0");
  quantity.type = "number";
  const throttle = input("throttle", kind === "alert" ? "1h" : "", "30m");
  const webhook = input("webhook", "", "https://…");
  const message = el("p", "save-message");
  message.dataset.testid = "save-message";
  const submit = el("button", "run", t("dash.save"));
  submit.type = "submit";
  const cancel = el("button", undefined, t("search.cancel"));
  cancel.type = "button";
  cancel.onclick = () => panel.remove();
  panel.append(title, field(t("save.name"), name), shown, field(t("save.cron"), cron));
  if (kind === "alert") {
    panel.append(field(t("save.condition"), quantity), field(t("save.throttle"), throttle), field(t("save.webhook"), webhook));
  }
  const buttons = el("div", "save-buttons");
  buttons.append(submit, cancel);
  panel.append(buttons, message);
  panel.onsubmit = async (e) => {
    e.preventDefault();
    const body: SavedSearch = {
      name: name.value.trim(),
      query,
      earliest: earliest || undefined,
      latest: latest || undefined,
      cron: cron.value.trim() || undefined,
      timezone: "Europe/Paris",
    };
    if (kind === "alert") {
      body.alert = {
        condition: { type: "results", relation: "greater_than", quantity: Number(quantity.value) || 0 },
        throttle: throttle.value.trim() || undefined,
        actions: webhook.value.trim() ? [{ type: "webhook", url: webhook.value.trim() }] : [],
      };
    }
    message.dataset.state = "saving";
    message.textContent = "";
    try {
      await api.createSaved(body);
      message.dataset.state = "done";
      const link = el("a", undefined, t("save.done", { name: body.name }));
      link.href = kind === "alert" ? "/alerts" : "/saved";
      message.append(link);
    } catch (err) {
      message.dataset.state = "failed";
      message.textContent = t("dash.invalid", { message: (err as ApiError).message });
    }
  };
  document.body.append(panel);
  name.focus();
}
