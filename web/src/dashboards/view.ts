// A dashboard page (`/dashboards/<id>`): its inputs, its panels on a 12-column grid, each
// running its search through the jobs API (`$tokens$` substituted, the panel's own range or
// the time input's, `?now=` for a dashboard shown as of a past instant), auto-refresh, and
// drill-down to the search page, another dashboard or a URL. `?edit=1` (or the Edit button)
// shows the dashboard as JSON in an editor, with buttons to add, remove and move panels.

import { EditorState } from "@codemirror/state";
import { EditorView, keymap, lineNumbers } from "@codemirror/view";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { json, jsonParseLinter } from "@codemirror/lang-json";
import { syntaxHighlighting, defaultHighlightStyle } from "@codemirror/language";
import { linter } from "@codemirror/lint";
import { api, ApiError, Dashboard, Panel, Row } from "../api";
import { fmtTime, t } from "../i18n";
import { InputsBar } from "./inputs";
import { drawPanel, Drawn } from "./panels";
import { SearchCache } from "./runner";
import { rowTokens, splValue, substitute, Tokens } from "./tokens";

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** `"30s"`, `"5m"`, `"1h"` in milliseconds; null when unreadable or under 5 s. */
export function periodMs(p: string | undefined): number | null {
  const m = p?.trim().match(/^(\d+)\s*(s|m|h)$/);
  if (!m) return null;
  const ms = Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "s" | "m" | "h"];
  return ms >= 5000 ? ms : null;
}

function template(id: string): Dashboard {
  return {
    id,
    title: id,
    inputs: [{ token: "time", type: "time", label: "", earliest: "-24h@h", latest: "now" }],
    panels: [{ title: t("dash.newpanel"), type: "timechart", query: "index=* | timechart count by index" }],
  };
}

export async function dashboardPage(root: HTMLElement, id: string): Promise<void> {
  const params = new URLSearchParams(location.search);
  let dash: Dashboard;
  let isNew = false;
  try {
    dash = await api.dashboard(id);
  } catch (e) {
    if ((e as ApiError).status === 404 && params.get("edit")) {
      dash = template(id);
      isNew = true;
    } else {
      root.append(el("p", "error", t("dash.notfound", { id, message: (e as Error).message })));
      return;
    }
  }
  if (params.get("edit")) editMode(root, dash, isNew);
  else viewMode(root, dash);
}

function header(root: HTMLElement, dash: Dashboard, editing: boolean): HTMLElement {
  const head = el("div", "dash-head");
  const title = el("h1", undefined, dash.title);
  title.dataset.testid = "dash-title";
  head.append(title);
  const tools = el("div", "dash-tools");
  const toggle = el("a", "button", editing ? t("dash.view") : t("dash.edit"));
  const url = new URL(location.href);
  if (editing) url.searchParams.delete("edit");
  else url.searchParams.set("edit", "1");
  toggle.href = url.pathname + url.search;
  tools.append(toggle);
  head.append(tools);
  root.append(head);
  if (dash.description) root.append(el("p", "dash-description", dash.description));
  if (dash.managed_by) root.append(el("p", "dash-managed", t("dash.managed", { file: dash.managed_by })));
  return tools;
}

function viewMode(root: HTMLElement, dash: Dashboard): void {
  const params = new URLSearchParams(location.search);
  const now = params.get("now") ?? "";
  const tools = header(root, dash, false);
  const refreshButton = el("button", undefined, t("dash.refresh"));
  refreshButton.dataset.testid = "refresh";
  tools.prepend(refreshButton);
  const period = periodMs(dash.refresh);
  const info = el("span", "dash-info");
  const notes: string[] = [];
  if (now) notes.push(t("dash.asof", { time: fmtTime(Number.isNaN(Number(now)) ? now : Number(now) * 1000) }));
  if (period && dash.refresh) notes.push(t("dash.autorefresh", { period: dash.refresh }));
  info.textContent = notes.join(" · ");
  tools.prepend(info);
  const inputsBox = el("div", "dash-inputs");
  const grid = el("div", "dash-grid");
  grid.dataset.testid = "dash-grid";
  root.append(inputsBox, grid);
  const inputs = new InputsBar(inputsBox, dash.inputs ?? [], now, () => refresh());
  const boxes = dash.panels.map((p, i) => panelBox(grid, p, i));
  let drawn: (Drawn | null)[] = [];
  let generation = 0;

  let cache: SearchCache | null = null;

  function refresh(): void {
    const mine = ++generation;
    cache?.cancel();
    cache = new SearchCache();
    for (const d of drawn) d?.destroy?.();
    drawn = dash.panels.map(() => null);
    const tokens = inputs.tokens();
    const range = inputs.range();
    const current = cache;
    dash.panels.forEach((p, i) => runPanel(p, i, boxes[i], current, tokens, range, mine));
  }

  async function runPanel(
    p: Panel,
    i: number,
    box: HTMLElement,
    cache: SearchCache,
    tokens: Tokens,
    range: { earliest: string; latest: string },
    mine: number,
  ): Promise<void> {
    const body = box.querySelector<HTMLElement>(".panel-body")!;
    box.dataset.state = "running";
    body.textContent = "";
    body.append(el("p", "panel-loading", t("panel.loading")));
    const base = p.base ? dash.searches?.[p.base] : undefined;
    const query = substitute(base ? joined(base.query, p.query) : p.query, tokens);
    const earliest = substitute(p.earliest ?? base?.earliest ?? range.earliest, tokens);
    const latest = substitute(p.latest ?? base?.latest ?? range.latest, tokens);
    box.dataset.query = query;
    const shared = base && p.type !== "events" && p.query.trim() !== "";
    try {
      const page = shared
        ? await cache.post({ query: substitute(base.query, tokens), earliest, latest, now }, substitute(p.query, tokens), query)
        : await cache.run({
            query,
            earliest,
            latest,
            now,
            events: p.type === "events",
            count: p.type === "events" ? (p.options?.count ?? 100) : undefined,
          });
      if (mine !== generation) return;
      const drill = p.drilldown ? (row: Row, field?: string) => drillDown(p, row, field, tokens, earliest, latest) : null;
      drawn[i] = drawPanel(body, p, page, drill);
      box.dataset.count = String(drawn[i]!.count);
      box.dataset.state = "done";
    } catch (e) {
      if (mine !== generation) return;
      body.textContent = "";
      body.append(el("p", "panel-error", t("panel.error", { message: (e as Error).message })));
      box.dataset.state = "failed";
    }
  }

  function drillDown(p: Panel, row: Row, field: string | undefined, tokens: Tokens, earliest: string, latest: string): void {
    const d = p.drilldown!;
    const all: Tokens = { ...tokens, ...rowTokens(row, field) };
    if (d.search) {
      // Row values go into SPL as search terms: quoted unless they are one word.
      const q = substitute(d.search, Object.fromEntries(Object.entries(all).map(([k, v]) => [k, k.startsWith("row.") || k === "value" ? splValue(v) : v])));
      const url = new URL("/search", location.origin);
      url.searchParams.set("q", q);
      url.searchParams.set("earliest", substitute(d.earliest ?? earliest, all));
      url.searchParams.set("latest", substitute(d.latest ?? latest, all));
      location.assign(url.pathname + url.search);
    } else if (d.dashboard) {
      const url = new URL(`/dashboards/${encodeURIComponent(substitute(d.dashboard, all))}`, location.origin);
      for (const [k, v] of Object.entries(d.tokens ?? {})) url.searchParams.set(k, substitute(v, all));
      if (now) url.searchParams.set("now", now);
      location.assign(url.pathname + url.search);
    } else if (d.url) {
      const target = substitute(d.url, all, encodeURIComponent);
      if (/^(https?:\/\/|\/)/i.test(target)) location.assign(target);
    }
  }

  refreshButton.onclick = () => refresh();
  inputs.render(new SearchCache());
  refresh();
  if (period) setInterval(() => refresh(), period);
}

/** `base | post-process`, as the server's `Dashboard::panel_queries` joins them. */
function joined(base: string, post: string): string {
  const p = post.trim().replace(/^\|/, "").trim();
  return p ? `${base.trimEnd()}\n| ${p}` : base;
}

function panelBox(grid: HTMLElement, p: Panel, i: number): HTMLElement {
  const box = el("section", `panel panel-${p.type}`);
  box.dataset.panel = String(i);
  box.dataset.type = p.type;
  if (p.grid) {
    box.style.gridColumn = `${p.grid.x + 1} / span ${p.grid.w}`;
    box.style.gridRow = `${p.grid.y + 1} / span ${p.grid.h}`;
  } else {
    box.style.gridColumn = "1 / span 12";
    box.style.gridRow = `span ${p.type === "single" ? 1 : 2}`;
  }
  box.append(el("h2", "panel-title", p.title));
  box.append(el("div", "panel-body"));
  grid.append(box);
  return box;
}

function editMode(root: HTMLElement, dash: Dashboard, isNew: boolean): void {
  header(root, dash, true);
  const { managed_by, ...body } = dash;
  const bar = el("div", "dash-edit-bar");
  const save = el("button", "run", t("dash.save"));
  save.dataset.testid = "save";
  save.disabled = !!managed_by;
  const add = el("button", undefined, t("dash.addpanel"));
  const del = el("button", "danger", t("dash.delete"));
  del.hidden = isNew || !!managed_by;
  const message = el("span", "dash-message");
  message.dataset.testid = "dash-message";
  bar.append(save, add, del, message);
  const panelsList = el("ol", "dash-panel-list");
  const editorBox = el("div", "editor json-editor");
  root.append(bar, panelsList, editorBox);
  const editor = new EditorView({
    parent: editorBox,
    state: EditorState.create({
      doc: JSON.stringify(body, null, 2),
      extensions: [
        history(),
        lineNumbers(),
        json(),
        syntaxHighlighting(defaultHighlightStyle),
        // JSON mistakes are underlined as one types; the server checks the searches on save.
        linter(jsonParseLinter()),
        keymap.of([...historyKeymap, ...defaultKeymap]),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) listPanels();
        }),
        EditorView.contentAttributes.of({ "data-testid": "dash-json" }),
      ],
    }),
  });

  function current(): Dashboard | null {
    try {
      return JSON.parse(editor.state.doc.toString()) as Dashboard;
    } catch (e) {
      message.textContent = t("dash.badjson", { message: (e as Error).message });
      return null;
    }
  }

  function replace(d: Dashboard): void {
    editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: JSON.stringify(d, null, 2) } });
  }

  function listPanels(): void {
    let d: Dashboard | null = null;
    try {
      d = JSON.parse(editor.state.doc.toString());
    } catch {
      return;
    }
    panelsList.textContent = "";
    (d?.panels ?? []).forEach((p, i) => {
      const li = el("li", undefined);
      li.append(el("span", "panel-name", `${p.title} (${p.type})`));
      const move = (delta: number) => () => {
        const x = current();
        if (!x) return;
        const j = i + delta;
        if (j < 0 || j >= x.panels.length) return;
        [x.panels[i], x.panels[j]] = [x.panels[j], x.panels[i]];
        replace(x);
      };
      const up = el("button", undefined, t("dash.up"));
      up.onclick = move(-1);
      const down = el("button", undefined, t("dash.down"));
      down.onclick = move(1);
      const remove = el("button", "danger", t("dash.remove"));
      remove.onclick = () => {
        const x = current();
        if (!x) return;
        x.panels.splice(i, 1);
        replace(x);
      };
      li.append(up, down, remove);
      panelsList.append(li);
    });
  }

  add.onclick = () => {
    const x = current();
    if (!x) return;
    x.panels.push({ title: t("dash.newpanel"), type: "table", query: "index=* | stats count by index" });
    replace(x);
  };
  save.onclick = async () => {
    const d = current();
    if (!d) return;
    try {
      if (isNew) await api.createDashboard(d);
      else await api.updateDashboard(dash.id, d);
      message.textContent = t("dash.saved");
      location.assign(`/dashboards/${encodeURIComponent(d.id)}`);
    } catch (e) {
      message.textContent = t("dash.invalid", { message: (e as Error).message });
      message.dataset.state = "failed";
    }
  };
  del.onclick = async () => {
    try {
      await api.deleteDashboard(dash.id);
      location.assign("/dashboards");
    } catch (e) {
      message.textContent = t("dash.invalid", { message: (e as Error).message });
    }
  };
  listPanels();
}
