// "Save as" from the search page: the search as a saved search (maybe scheduled) or as an alert
// (a schedule, a condition on the number of results, a throttle), through POST
// /api/v1/saved-searches, or as a panel added to a dashboard (new or existing, through
// /api/v1/dashboards); the server's refusal is shown as it says it.

import { api, ApiError, ChartKind, Dashboard, Page, Panel, PanelKind, SavedSearch } from "../api";
import { DISPLAY_ZONE, t } from "../i18n";

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

/** What a save made: the message's link to it. */
interface Saved {
  text: string;
  href: string;
}

/** The dialog every "Save as" shares: a heading, the caller's fields, Save and Cancel, and a
 * message that says "saving", then links to what was made or shows the server's refusal. */
function saveForm(heading: string, fields: HTMLElement[], save: () => Promise<Saved>): HTMLParagraphElement {
  document.querySelector(".save-panel")?.remove();
  const panel = el("form", "save-panel");
  panel.dataset.testid = "save-form";
  panel.setAttribute("role", "dialog");
  const message = el("p", "save-message");
  message.dataset.testid = "save-message";
  const submit = el("button", "run", t("dash.save"));
  submit.type = "submit";
  const cancel = el("button", undefined, t("search.cancel"));
  cancel.type = "button";
  cancel.onclick = () => panel.remove();
  const buttons = el("div", "save-buttons");
  buttons.append(submit, cancel);
  panel.append(el("h2", undefined, heading), ...fields, buttons, message);
  panel.onsubmit = async (e) => {
    e.preventDefault();
    message.dataset.state = "saving";
    message.textContent = "";
    try {
      const made = await save();
      message.dataset.state = "done";
      const link = el("a", undefined, made.text);
      link.href = made.href;
      message.append(link);
    } catch (err) {
      failed(message, err);
    }
  };
  document.body.append(panel);
  return message;
}

function failed(message: HTMLElement, err: unknown): void {
  message.dataset.state = "failed";
  message.textContent = t("dash.invalid", { message: (err as ApiError).message });
}

/** Opens the form for the search `query` over `earliest`–`latest` as a `kind`. */
export function saveAs(kind: "saved" | "alert", query: string, earliest: string, latest: string): void {
  const name = input("name");
  name.required = true;
  const cron = input("cron", kind === "alert" ? "*/15 * * * *" : "", t("save.cron.hint"));
  const quantity = input("quantity", "0");
  quantity.type = "number";
  const throttle = input("throttle", kind === "alert" ? "1h" : "", "30m");
  const webhook = input("webhook", "", "https://…");
  const fields: HTMLElement[] = [field(t("save.name"), name), el("pre", "save-query", query), field(t("save.cron"), cron)];
  if (kind === "alert") {
    fields.push(field(t("save.condition"), quantity), field(t("save.throttle"), throttle), field(t("save.webhook"), webhook));
  }
  saveForm(kind === "alert" ? t("save.alert") : t("save.saved"), fields, async () => {
    const body: SavedSearch = {
      name: name.value.trim(),
      query,
      earliest: earliest || undefined,
      latest: latest || undefined,
      cron: cron.value.trim() || undefined,
      timezone: DISPLAY_ZONE,
    };
    if (kind === "alert") {
      body.alert = {
        condition: { type: "results", relation: "greater_than", quantity: Number(quantity.value) || 0 },
        throttle: throttle.value.trim() || undefined,
        actions: webhook.value.trim() ? [{ type: "webhook", url: webhook.value.trim() }] : [],
      };
    }
    await api.createSaved(body);
    return { text: t("save.done", { name: body.name }), href: kind === "alert" ? "/alerts" : "/saved" };
  });
  name.focus();
}

/** The panel an answer suits, as the Visualization tab reads it: events when the search
 * answered events (`null`), a time chart for a `_time` column, a single value for one cell,
 * a table otherwise. The server's answer decides, so the browser needs no second parser. */
export function panelKind(results: Page | null): PanelKind {
  if (results === null) return "events";
  if (results.columns.includes("_time")) return "timechart";
  return results.rows.length === 1 && results.columns.length === 1 ? "single" : "table";
}

/** Where a new panel goes: under every panel there is, full width for events and tables. */
function below(d: Dashboard, kind: PanelKind): { x: number; y: number; w: number; h: number } {
  const y = d.panels.reduce((m, p) => Math.max(m, (p.grid?.y ?? 0) + (p.grid?.h ?? 2)), 0);
  return { x: 0, y, w: kind === "single" ? 3 : 12, h: kind === "single" ? 1 : 2 };
}

/** Opens the form adding the search as a panel of a dashboard, new or existing (managed ones,
 * owned by a file, are not offered). */
export async function saveAsPanel(query: string, earliest: string, latest: string, suits: PanelKind): Promise<void> {
  const target = el("select");
  target.name = "dashboard";
  const fresh = el("option", undefined, t("save.panel.new"));
  fresh.value = "";
  target.append(fresh);
  let refused: unknown = null;
  try {
    for (const d of (await api.dashboards()).dashboards.filter((d) => !d.managed_by)) {
      const o = el("option", undefined, d.title);
      o.value = d.id;
      target.append(o);
    }
  } catch (err) {
    refused = err;
  }
  const newId = input("id", "", "my-dashboard");
  const newTitle = input("dashboard_title", "");
  const newOnly = el("div", "save-new");
  newOnly.append(field(t("save.panel.id"), newId), field(t("save.panel.dashtitle"), newTitle));
  target.onchange = () => {
    newOnly.hidden = target.value !== "";
    newId.required = target.value === "";
  };
  newId.required = true;
  const title = input("title");
  title.required = true;
  const kind = el("select");
  kind.name = "type";
  for (const k of ["events", "table", "timechart", "chart", "single"] as const) {
    const o = el("option", undefined, t(`save.panel.kind.${k}`));
    o.value = k;
    kind.append(o);
  }
  kind.value = suits;
  const chart = el("select");
  chart.name = "chart";
  for (const c of ["line", "area", "column", "bar", "pie"] as const) {
    const o = el("option", undefined, t(`viz.${c}`));
    o.value = c;
    chart.append(o);
  }
  const chartField = field(t("save.panel.chart"), chart);
  const syncChart = () => (chartField.hidden = kind.value !== "timechart" && kind.value !== "chart");
  kind.onchange = syncChart;
  syncChart();
  const message = saveForm(
    t("save.panel"),
    [
      field(t("save.panel.dashboard"), target),
      newOnly,
      field(t("save.panel.title"), title),
      el("pre", "save-query", query),
      field(t("save.panel.type"), kind),
      chartField,
    ],
    async () => {
      const type = kind.value as PanelKind;
      const p: Panel = { title: title.value.trim(), type, query };
      if (earliest) p.earliest = earliest;
      if (latest) p.latest = latest;
      if (type === "timechart" || type === "chart") p.chart = chart.value as ChartKind;
      let d: Dashboard;
      if (target.value) {
        d = await api.dashboard(target.value);
      } else {
        d = { id: newId.value.trim(), title: newTitle.value.trim() || newId.value.trim(), panels: [] };
      }
      p.grid = below(d, type);
      d.panels.push(p);
      const saved = target.value ? await api.updateDashboard(d.id, d) : await api.createDashboard(d);
      return { text: t("save.panel.done", { title: p.title }), href: `/dashboards/${encodeURIComponent(saved.dashboard.id)}` };
    },
  );
  if (refused !== null) failed(message, refused);
  title.focus();
}
