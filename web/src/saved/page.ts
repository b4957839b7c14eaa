// The saved searches (`/saved`) and alerts (`/alerts`) pages: each object with its schedule,
// enable/disable, run now (as the scheduler runs it: condition, actions, history), its run
// history (GET /saved-searches/{name}/runs) with links to the results, and on /alerts the
// firings (GET /alerts/fired). `?name=` edits one (the search page's editor), `?new=1` makes one.
// Objects managed by a file of `loupe apply` are read-only and name their file.

import { api, ApiError, Firing, Run, Row, SavedSearch } from "../api";
import { el, text } from "../charts";
import { fmtNumber, t } from "../i18n";
import { createEditor } from "../search/editor";
import { bothZones } from "../times";

export type Mode = "saved" | "alerts";

function searchLink(s: SavedSearch, asOfNs?: number | null): string {
  const u = new URLSearchParams({ q: s.query, earliest: s.earliest ?? "", latest: s.latest ?? "" });
  // The run's results: the window as it was at the run's time.
  if (asOfNs) u.set("now", (asOfNs / 1e9).toFixed(3));
  return `/search?${u}`;
}

function rowsTable(rows: Row[]): HTMLTableElement {
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const table = el("table", "results");
  const head = el("tr");
  for (const c of cols) head.append(el("th", undefined, c));
  table.append(head);
  for (const r of rows.slice(0, 100)) {
    const tr = el("tr");
    for (const c of cols) tr.append(el("td", undefined, text(r[c])));
    table.append(tr);
  }
  return table;
}

function when(ns: number | string | null | undefined): HTMLElement {
  const cell = el("td");
  if (ns === null || ns === undefined) return cell;
  const { paris, local } = bothZones(typeof ns === "number" ? ns / 1e6 : ns);
  cell.append(el("span", "time-paris", paris));
  if (local) cell.append(el("span", "time-local", local));
  return cell;
}

function runsTable(s: SavedSearch, runs: Run[]): HTMLElement {
  if (runs.length === 0) return el("p", "panel-empty", t("saved.noruns"));
  const table = el("table", "results runs");
  table.dataset.testid = "runs";
  const head = el("tr");
  for (const k of ["saved.run.time", "saved.run.duration", "saved.run.results", "saved.run.fired", "saved.run.error", "saved.run.link"] as const) {
    head.append(el("th", undefined, t(k)));
  }
  table.append(head);
  for (const r of runs) {
    const tr = el("tr", r.error ? "row-red" : undefined);
    tr.append(when(r.started_ns));
    tr.append(el("td", undefined, `${fmtNumber(r.duration_ms)} ms`));
    const count = el("td");
    if (r.results && r.results.length > 0) {
      const d = el("details");
      d.append(el("summary", undefined, fmtNumber(r.result_count)), rowsTable(r.results));
      count.append(d);
    } else count.textContent = fmtNumber(r.result_count);
    tr.append(count, el("td", undefined, r.fired ? t("saved.yes") : ""), el("td", undefined, r.error ?? ""));
    const link = el("a", undefined, t("saved.open"));
    link.href = searchLink(s, r.scheduled_ns ?? r.started_ns);
    const td = el("td");
    td.append(link);
    tr.append(td);
    table.append(tr);
  }
  return table;
}

function firingsTable(list: Firing[]): HTMLElement {
  if (list.length === 0) return el("p", "panel-empty", t("alerts.nofirings"));
  const table = el("table", "results firings");
  table.dataset.testid = "firings";
  const head = el("tr");
  for (const k of ["alerts.time", "alerts.name", "alerts.severity", "saved.run.results", "saved.run.link"] as const) {
    head.append(el("th", undefined, t(k)));
  }
  table.append(head);
  for (const f of list) {
    const tr = el("tr", f.resolved ? "row-green" : "row-red");
    tr.append(when(f.trigger_time), el("td", undefined, f.search_name), el("td", undefined, f.severity ?? ""));
    tr.append(el("td", undefined, f.resolved ? t("alerts.resolved") : fmtNumber(f.result_count ?? 0)));
    const td = el("td");
    if (f.results_link) {
      // The server writes its own address in the link: the path is what this console opens.
      const u = new URL(f.results_link, location.href);
      const a = el("a", undefined, t("saved.open"));
      a.href = u.pathname + u.search;
      td.append(a);
    }
    tr.append(td);
    table.append(tr);
  }
  return table;
}

function item(s: SavedSearch, mode: Mode, message: HTMLElement, reload: () => void): HTMLElement {
  const box = el("div", "saved-item");
  box.dataset.name = s.name;
  box.dataset.enabled = String(s.enabled !== false);
  const head = el("div", "saved-head");
  const name = el("a", "saved-name", s.name);
  name.href = `/${mode}?name=${encodeURIComponent(s.name)}`;
  head.append(name);
  head.append(el("span", "saved-meta", s.cron ? t("saved.schedule", { cron: s.cron, zone: s.timezone ?? "UTC" }) : t("saved.unscheduled")));
  if (s.managed_by) head.append(el("span", "saved-managed", t("dash.list.managed", { file: s.managed_by })));
  const tools = el("div", "dash-tools");
  const toggle = el("button", undefined, s.enabled === false ? t("saved.enable") : t("saved.disable"));
  toggle.dataset.testid = "toggle";
  toggle.disabled = !!s.managed_by;
  const runNow = el("button", undefined, t("saved.runnow"));
  runNow.dataset.testid = "run-now";
  const open = el("a", "button", t("saved.open"));
  open.href = searchLink(s);
  const del = el("button", "danger", t("dash.delete"));
  del.disabled = !!s.managed_by;
  tools.append(toggle, runNow, open, del);
  head.append(tools);
  const query = el("pre", "saved-query", s.query);
  const runs = el("details", "saved-runs");
  const summary = el("summary", undefined, t("saved.history"));
  const runsBody = el("div");
  runs.append(summary, runsBody);
  const loadRuns = async () => {
    runsBody.textContent = "";
    try {
      runsBody.append(runsTable(s, (await api.runs(s.name)).runs));
    } catch (e) {
      runsBody.append(el("p", "panel-error", t("panel.error", { message: (e as ApiError).message })));
    }
    runs.dataset.loaded = "true";
  };
  runs.ontoggle = () => {
    if (runs.open) loadRuns();
  };
  const act = async (f: () => Promise<unknown>, done: string) => {
    message.dataset.state = "working";
    try {
      await f();
      message.dataset.state = "done";
      message.textContent = done;
    } catch (e) {
      message.dataset.state = "failed";
      message.textContent = t("dash.invalid", { message: (e as ApiError).message });
    }
  };
  toggle.onclick = () =>
    act(async () => {
      const { managed_by: _, ...body } = s;
      await api.updateSaved(s.name, { ...body, enabled: s.enabled === false });
      reload();
    }, t("dash.saved"));
  runNow.onclick = () =>
    act(async () => {
      const r = await api.runSaved(s.name);
      runs.open = true;
      await loadRuns();
      if (r.error) throw new ApiError(500, r.error);
    }, t("saved.ran", { name: s.name }));
  del.onclick = () =>
    act(async () => {
      await api.deleteSaved(s.name);
      reload();
    }, t("saved.deleted", { name: s.name }));
  box.append(head, query, runs);
  return box;
}

async function list(root: HTMLElement, mode: Mode): Promise<void> {
  root.textContent = "";
  const head = el("div", "dash-head");
  head.append(el("h1", undefined, mode === "alerts" ? t("alerts.title") : t("saved.title")));
  const create = el("a", "button", mode === "alerts" ? t("alerts.new") : t("saved.new"));
  create.href = `/${mode}?new=1`;
  head.append(create);
  const message = el("p", "dash-message");
  message.dataset.testid = "saved-message";
  const listBox = el("div", "saved-list");
  listBox.dataset.testid = "saved-list";
  root.append(head, message, listBox);
  const reload = async () => {
    listBox.textContent = "";
    try {
      const all = (await api.savedSearches()).saved_searches.filter((s) => (mode === "alerts") === !!s.alert);
      if (all.length === 0) listBox.append(el("p", "panel-empty", t("saved.empty")));
      for (const s of all) listBox.append(item(s, mode, message, reload));
    } catch (e) {
      listBox.append(el("p", "panel-error", t("panel.error", { message: (e as ApiError).message })));
    }
    listBox.dataset.state = "done";
  };
  await reload();
  if (mode === "alerts") {
    root.append(el("h2", undefined, t("alerts.fired")));
    const box = el("div");
    root.append(box);
    try {
      box.append(firingsTable((await api.fired()).fired));
    } catch (e) {
      box.append(el("p", "panel-error", t("panel.error", { message: (e as ApiError).message })));
    }
  }
}

function input(name: string, value: string | undefined): HTMLInputElement {
  const i = el("input");
  i.name = name;
  i.value = value ?? "";
  return i;
}

function labelled(label: string, control: HTMLElement): HTMLLabelElement {
  const l = el("label", "form-field");
  l.append(el("span", "input-label", label), control);
  return l;
}

async function edit(root: HTMLElement, mode: Mode, name: string | null): Promise<void> {
  root.textContent = "";
  let s: SavedSearch = { name: "", query: "", enabled: true, timezone: "Europe/Paris" };
  if (mode === "alerts") s.alert = { condition: { type: "results", relation: "greater_than", quantity: 0 }, actions: [] };
  if (name !== null) {
    try {
      s = await api.savedSearch(name);
    } catch (e) {
      root.append(el("p", "panel-error", t("panel.error", { message: (e as ApiError).message })));
      return;
    }
  }
  const back = el("a", undefined, mode === "alerts" ? t("alerts.title") : t("saved.title"));
  back.href = `/${mode}`;
  root.append(back, el("h1", undefined, name ?? (mode === "alerts" ? t("alerts.new") : t("saved.new"))));
  const form = el("form", "saved-form");
  form.dataset.testid = "saved-form";
  const nameInput = input("name", s.name);
  const description = input("description", s.description);
  const editorBox = el("div", "editor");
  const editor = createEditor({ parent: editorBox, doc: s.query, onRun: () => form.requestSubmit(), fields: () => ({}) });
  const earliest = input("earliest", s.earliest);
  const latest = input("latest", s.latest);
  const cron = input("cron", s.cron);
  const zone = input("timezone", s.timezone);
  const enabled = el("input");
  enabled.type = "checkbox";
  enabled.name = "enabled";
  enabled.checked = s.enabled !== false;
  form.append(
    labelled(t("save.name"), nameInput),
    labelled(t("saved.description"), description),
    labelled(t("search.editor"), editorBox),
    labelled(t("time.earliest"), earliest),
    labelled(t("time.latest"), latest),
    labelled(t("save.cron"), cron),
    labelled(t("saved.zone"), zone),
    labelled(t("saved.enabled"), enabled),
  );
  // The alert as JSON (condition, throttle, actions: docs/alerts.md), edited as it is stored.
  const alertText = el("textarea", "alert-json");
  alertText.name = "alert";
  alertText.rows = 8;
  alertText.value = s.alert ? JSON.stringify(s.alert, null, 2) : "";
  if (mode === "alerts" || s.alert) form.append(labelled(t("saved.alert"), alertText));
  const save = el("button", "run", t("dash.save"));
  save.type = "submit";
  save.dataset.testid = "save";
  const message = el("p", "dash-message");
  message.dataset.testid = "saved-message";
  if (s.managed_by) {
    save.disabled = true;
    message.textContent = t("dash.managed", { file: s.managed_by });
    message.className = "dash-managed";
  }
  form.append(save, message);
  root.append(form);
  form.onsubmit = async (e) => {
    e.preventDefault();
    const body: SavedSearch = {
      name: nameInput.value.trim(),
      query: editor.state.doc.toString(),
      description: description.value || undefined,
      earliest: earliest.value.trim() || undefined,
      latest: latest.value.trim() || undefined,
      cron: cron.value.trim() || undefined,
      timezone: zone.value.trim() || undefined,
      enabled: enabled.checked,
    };
    try {
      if (alertText.value.trim()) body.alert = JSON.parse(alertText.value);
    } catch (err) {
      message.dataset.state = "failed";
      message.textContent = t("dash.badjson", { message: String(err) });
      return;
    }
    try {
      if (name === null) await api.createSaved(body);
      else await api.updateSaved(name, body);
      location.href = `/${mode}?name=${encodeURIComponent(body.name)}`;
    } catch (err) {
      message.dataset.state = "failed";
      message.textContent = t("dash.invalid", { message: (err as ApiError).message });
    }
  };
  if (name !== null) {
    root.append(el("h2", undefined, t("saved.history")));
    const box = el("div");
    root.append(box);
    try {
      box.append(runsTable(s, (await api.runs(name)).runs));
    } catch (e) {
      box.append(el("p", "panel-error", t("panel.error", { message: (e as ApiError).message })));
    }
  }
}

export function savedPage(root: HTMLElement, mode: Mode): void {
  const params = new URLSearchParams(location.search);
  const name = params.get("name");
  if (name !== null) edit(root, mode, name);
  else if (params.get("new")) edit(root, mode, null);
  else list(root, mode);
}
