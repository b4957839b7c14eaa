// "Save as" from the search page: the search as a saved search (maybe scheduled) or as an alert
// (a schedule, a condition on the number of results, a throttle), through POST
// /api/v1/saved-searches, or as a panel added to a dashboard (new or existing, through
// /api/v1/dashboards); the server's refusal is shown as it says it.

import { api, ApiError, ChartKind, Dashboard, Panel, PanelKind, SavedSearch } from "../api";
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

/** The panel a search suits: a chart for `timechart`, a single value for one bare `stats`
 * aggregate, a table for other transforming searches, events otherwise. */
export function panelKind(query: string): PanelKind {
  // Quoted text cannot hold a command: blank it before splitting on pipes.
  const commands = query
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .split("|")
    .map((c) => c.trim().toLowerCase());
  const name = (c: string) => c.split(/\s+/)[0];
  if (commands.some((c) => name(c) === "timechart")) return "timechart";
  const last = commands[commands.length - 1] ?? "";
  if (name(last) === "stats" && !/\bby\b/.test(last)) return "single";
  const transforming = ["stats", "chart", "top", "rare", "table", "tstats", "eventstats", "xyseries"];
  return commands.some((c) => transforming.includes(name(c))) ? "table" : "events";
}

/** Where a new panel goes: under every panel there is, full width for events and tables. */
function below(d: Dashboard, kind: PanelKind): { x: number; y: number; w: number; h: number } {
  const y = d.panels.reduce((m, p) => Math.max(m, (p.grid?.y ?? 0) + (p.grid?.h ?? 2)), 0);
  return { x: 0, y, w: kind === "single" ? 3 : 12, h: kind === "single" ? 1 : 2 };
}

/** Opens the form adding the search as a panel of a dashboard, new or existing (managed ones,
 * owned by a file, are not offered). */
export async function saveAsPanel(query: string, earliest: string, latest: string): Promise<void> {
  document.querySelector(".save-panel")?.remove();
  const panel = el("form", "save-panel");
  panel.dataset.testid = "save-form";
  panel.setAttribute("role", "dialog");
  const message = el("p", "save-message");
  message.dataset.testid = "save-message";
  const target = el("select");
  target.name = "dashboard";
  const fresh = el("option", undefined, t("save.panel.new"));
  fresh.value = "";
  target.append(fresh);
  let existing: Dashboard[] = [];
  try {
    existing = (await api.dashboards()).dashboards.filter((d) => !d.managed_by);
  } catch (err) {
    message.dataset.state = "failed";
    message.textContent = t("dash.invalid", { message: (err as ApiError).message });
  }
  for (const d of existing) {
    const o = el("option", undefined, d.title);
    o.value = d.id;
    target.append(o);
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
  const kinds = ["events", "table", "timechart", "chart", "single"] as const;
  for (const k of kinds) {
    const o = el("option", undefined, t(`save.panel.kind.${k}`));
    o.value = k;
    kind.append(o);
  }
  kind.value = panelKind(query);
  const chart = el("select");
  chart.name = "chart";
  for (const c of ["line", "area", "column", "bar", "pie"] as ChartKind[]) {
    const o = el("option", undefined, c);
    o.value = c;
    chart.append(o);
  }
  const chartField = field(t("save.panel.chart"), chart);
  const syncChart = () => (chartField.hidden = kind.value !== "timechart" && kind.value !== "chart");
  kind.onchange = syncChart;
  syncChart();
  const submit = el("button", "run", t("dash.save"));
  submit.type = "submit";
  const cancel = el("button", undefined, t("search.cancel"));
  cancel.type = "button";
  cancel.onclick = () => panel.remove();
  const buttons = el("div", "save-buttons");
  buttons.append(submit, cancel);
  panel.append(
    el("h2", undefined, t("save.panel")),
    field(t("save.panel.dashboard"), target),
    newOnly,
    field(t("save.panel.title"), title),
    el("pre", "save-query", query),
    field(t("save.panel.type"), kind),
    chartField,
    buttons,
    message,
  );
  panel.onsubmit = async (e) => {
    e.preventDefault();
    const type = kind.value as PanelKind;
    const p: Panel = { title: title.value.trim(), type, query };
    if (earliest) p.earliest = earliest;
    if (latest) p.latest = latest;
    if (type === "timechart" || type === "chart") p.chart = chart.value as ChartKind;
    message.dataset.state = "saving";
    message.textContent = "";
    try {
      let id: string;
      if (target.value) {
        const d = await api.dashboard(target.value);
        p.grid = below(d, type);
        d.panels.push(p);
        id = (await api.updateDashboard(d.id, d)).dashboard.id;
      } else {
        const d: Dashboard = { id: newId.value.trim(), title: newTitle.value.trim() || newId.value.trim(), panels: [] };
        p.grid = below(d, type);
        d.panels.push(p);
        id = (await api.createDashboard(d)).dashboard.id;
      }
      message.dataset.state = "done";
      const link = el("a", undefined, t("save.panel.done", { title: p.title }));
      link.href = `/dashboards/${encodeURIComponent(id)}`;
      message.append(link);
    } catch (err) {
      message.dataset.state = "failed";
      message.textContent = t("dash.invalid", { message: (err as ApiError).message });
    }
  };
  document.body.append(panel);
  title.focus();
}
