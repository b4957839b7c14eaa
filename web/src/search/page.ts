// The search page (`/search?q=…&earliest=…&latest=…[&now=…]`; the URL always reflects the search
// so it can be shared): editor with the query history, time picker, job progress with cancel,
// timeline, the Events / Statistics / Visualization tabs, fields sidebar; show context, live
// tail, save as saved search or alert, export.

import { EditorView } from "@codemirror/view";
import { api, ApiError, JobStatus, Page, Summary } from "../api";
import { fmtNumber, MessageKey, t } from "../i18n";
import { showContext } from "./context";
import { createEditor } from "./editor";
import { EventsView } from "./events";
import { FieldsView } from "./fields";
import { QueryHistory } from "./history";
import { ResultsTable } from "./results";
import { panelKind, saveAs, saveAsPanel } from "./saveas";
import { TailView } from "./tail";
import { TimelineView } from "./timeline";
import { TimePicker } from "./timepicker";
import { VizView } from "./viz";

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text) e.textContent = text;
  return e;
}

/** The words of the base search (before the first pipe), for highlighting. */
export function searchWords(query: string): string[] {
  const base = query.split("|")[0];
  const words: string[] = [];
  for (const m of base.matchAll(/"([^"]+)"|([^\s()="<>!]+)(?=\s|$)/g)) {
    const w = (m[1] ?? m[2] ?? "").replace(/\*/g, "");
    if (w && !/^(AND|OR|NOT)$/i.test(w) && !w.includes("=")) words.push(w);
  }
  return words;
}

type Tab = "events" | "stats" | "viz" | "tail";

export function searchPage(root: HTMLElement): void {
  const params = new URLSearchParams(location.search);
  const asOf = params.get("now") ?? "";
  const bar = el("div", "search-bar");
  const editorBox = el("div", "editor");
  const timeBox = el("div", "time");
  const runButton = el("button", "run", t("search.run"));
  runButton.dataset.testid = "run";
  const historyBox = el("div", "history");
  bar.append(editorBox, historyBox, timeBox, runButton);
  const status = el("div", "status");
  status.dataset.testid = "status";
  const cancelButton = el("button", "cancel", t("search.cancel"));
  cancelButton.hidden = true;
  const tools = el("div", "tools");
  const tailButton = el("button", undefined, t("tail.start"));
  tailButton.dataset.testid = "tail-start";
  const saveSearch = el("button", undefined, t("save.saved"));
  saveSearch.dataset.testid = "save-search";
  const saveAlert = el("button", undefined, t("save.alert"));
  saveAlert.dataset.testid = "save-alert";
  const savePanel = el("button", undefined, t("save.panel"));
  savePanel.dataset.testid = "save-panel";
  const exportCsv = el("button", undefined, t("export.csv"));
  exportCsv.dataset.testid = "export-csv";
  const exportNdjson = el("button", undefined, t("export.ndjson"));
  exportNdjson.dataset.testid = "export-ndjson";
  tools.append(tailButton, saveSearch, saveAlert, savePanel, exportCsv, exportNdjson);
  const statusLine = el("div", "status-line");
  statusLine.append(status, cancelButton, tools);
  if (asOf) statusLine.append(el("span", "dash-info", t("dash.asof", { time: asOf })));
  const timeline = el("div", "timeline");
  timeline.dataset.testid = "timeline";
  const body = el("div", "body");
  const sidebar = el("aside", "fields");
  sidebar.dataset.testid = "fields";
  const content = el("section", "content");
  const tabBar = el("div", "tabs");
  tabBar.setAttribute("role", "tablist");
  const events = el("div", "events-box");
  events.dataset.testid = "events";
  const table = el("div", "table-box");
  table.dataset.testid = "results";
  const vizBox = el("div", "viz-tab");
  const tailBox = el("div", "tail-box");
  const panes: Record<Tab, HTMLElement> = { events, stats: table, viz: vizBox, tail: tailBox };
  const tabButtons = {} as Record<Tab, HTMLButtonElement>;
  for (const [tab, key] of [
    ["events", "tab.events"],
    ["stats", "tab.stats"],
    ["viz", "tab.viz"],
    ["tail", "tab.tail"],
  ] as [Tab, MessageKey][]) {
    const b = el("button", "tab", t(key));
    b.dataset.tab = tab;
    b.setAttribute("role", "tab");
    b.onclick = () => select(tab);
    tabButtons[tab] = b;
    tabBar.append(b);
  }
  content.append(tabBar, events, table, vizBox, tailBox);
  body.append(sidebar, content);
  root.append(bar, statusLine, timeline, body);

  let summary: Summary | null = null;
  let sid: string | null = null;
  let editor: EditorView;
  const picker = new TimePicker(timeBox, params.get("earliest") ?? "-24h@h", params.get("latest") ?? "now", () => run());
  const eventsView = new EventsView({
    parent: events,
    onFilter: (f, v, neg) => addFilter(f, v, neg),
    onContext: (row) => showContext(row, searchWords(query())),
  });
  const fieldsView = new FieldsView(sidebar, (f, v, neg) => addFilter(f, v, neg));
  const timelineView = new TimelineView(timeline, (lo, hi) => {
    picker.set(String(lo), String(hi));
    run();
  });
  const vizView = new VizView(vizBox);
  const resultsTable = new ResultsTable(table);
  const tailView = new TailView(tailBox);
  const queries = new QueryHistory(historyBox, (q) => {
    editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: q } });
    run();
  });

  /** Shows `tab`; `available` tabs are the ones with something to show. */
  function select(tab: Tab): void {
    for (const [k, pane] of Object.entries(panes) as [Tab, HTMLElement][]) {
      pane.hidden = k !== tab;
      tabButtons[k].classList.toggle("current", k === tab);
      tabButtons[k].setAttribute("aria-selected", String(k === tab));
    }
    content.dataset.tab = tab;
    if (tab === "viz") vizView.draw();
    if (tab === "tail" && !tailView.running) tailView.start(query(), searchWords(query()));
    if (tab !== "tail") tailView.end();
  }

  function available(tabs: Tab[]): void {
    for (const k of ["events", "stats", "viz"] as Tab[]) tabButtons[k].hidden = !tabs.includes(k);
  }

  function query(): string {
    return editor.state.doc.toString().trim() || "*";
  }

  function addFilter(field: string, value: string, negate: boolean): void {
    const q = editor.state.doc.toString();
    const quoted = /^[\w.:/-]+$/.test(value) ? value : `"${value.replace(/(["\\])/g, "\\$1")}"`;
    const term = `${negate ? "NOT " : ""}${field}=${quoted}`;
    const pipe = q.indexOf("|");
    const next = pipe < 0 ? `${q.trim()} ${term}` : `${q.slice(0, pipe).trim()} ${term} ${q.slice(pipe)}`;
    editor.dispatch({ changes: { from: 0, to: q.length, insert: next.trim() } });
    run();
  }

  function showStatus(s: JobStatus): void {
    const p = s.progress;
    const secs = fmtNumber(s.elapsed_ms / 1000);
    status.dataset.state = s.state;
    status.textContent =
      s.state === "failed"
        ? t("search.error", { message: s.error ?? t("search.failed") })
        : t("search.progress", {
            state: t(`state.${s.state}` as MessageKey),
            matched: fmtNumber(p.matched),
            scanned: fmtNumber(p.scanned),
            done: p.buckets_done,
            total: p.buckets_total,
            secs,
          }) + (s.stopped_by ? t("search.stopped", { reason: s.stopped_by }) : "");
    cancelButton.hidden = !(s.state === "queued" || s.state === "running");
  }

  /** The result rows of the last transforming search shown (null: events): what a saved
   * panel's type is chosen from. */
  let shownResults: Page | null = null;

  function showResults(page: Page): void {
    shownResults = page;
    resultsTable.show(page);
    vizView.show(page);
  }

  async function run(): Promise<void> {
    const q = query();
    shownResults = null;
    const { earliest, latest } = picker.value();
    const url = new URL(location.href);
    url.searchParams.set("q", q);
    url.searchParams.set("earliest", earliest);
    url.searchParams.set("latest", latest);
    history.pushState(null, "", url);
    queries.remember(q);
    if (sid) api.cancel(sid).catch(() => {});
    tailView.end();
    status.dataset.state = "queued";
    status.textContent = t("search.starting");
    let job: { sid: string };
    try {
      job = await api.startJob(q, earliest, latest, { now: asOf || undefined });
    } catch (e) {
      status.dataset.state = "failed";
      status.textContent = t("search.error", { message: (e as ApiError).message });
      return;
    }
    const mine = job.sid;
    sid = mine;
    let finished: JobStatus;
    // Polls soon at first (most searches answer in milliseconds), then every 250 ms.
    let delay = 20;
    for (;;) {
      const s = await api.job(mine);
      if (sid !== mine) return;
      // "done" is shown once the events or results are drawn, not before they are fetched.
      if (s.state !== "done") showStatus(s);
      if (s.state === "running" || s.state === "queued") {
        const preview = await api.results(mine, 0, 200);
        if (preview.rows.length > 0 && preview.rows[0]["_raw"] !== undefined) {
          available(["events"]);
          if (content.dataset.tab !== "events") select("events");
          eventsView.show(preview.rows, searchWords(q));
        }
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(250, delay * 2);
        continue;
      }
      if (s.state !== "done") return;
      finished = s;
      break;
    }
    // The first screen of events first, the rest (up to 10,000) right after.
    const timelineAnswer = api.timeline(mine);
    const first = await api.events(mine, 0, 100);
    if (sid !== mine) return;
    if (first.rows.length > 0) {
      available(["events"]);
      select("events");
      eventsView.show(first.rows, searchWords(q));
    }
    const [page, tl] = await Promise.all([first.rows.length < 100 ? first : api.events(mine, 0, 10000), timelineAnswer]);
    if (sid !== mine) return;
    timelineView.show(tl);
    const results = page.rows.length > 0 ? null : await api.results(mine, 0, 10000);
    if (sid !== mine) return;
    if (results === null || results.rows.length === 0) {
      // An event search, or one that found nothing: the (maybe empty) events.
      available(["events"]);
      select("events");
      eventsView.show(page.rows, searchWords(q));
    } else {
      available(["stats", "viz"]);
      select("stats");
      showResults(results);
    }
    if (sid !== mine) return;
    showStatus(finished);
    summary = await api.summary(mine);
    fieldsView.show(summary);
  }

  editor = createEditor({
    parent: editorBox,
    doc: params.get("q") ?? "",
    onRun: () => run(),
    fields: () => FieldsView.values(summary),
    history: () => queries.list(),
  });
  runButton.onclick = () => run();
  cancelButton.onclick = async () => {
    if (sid) showStatus(await api.cancel(sid));
  };
  tailButton.onclick = () => {
    tabButtons.tail.hidden = false;
    select("tail");
  };
  saveSearch.onclick = () => saveAs("saved", query(), picker.value().earliest, picker.value().latest);
  saveAlert.onclick = () => saveAs("alert", query(), picker.value().earliest, picker.value().latest);
  savePanel.onclick = () =>
    void saveAsPanel(query(), picker.value().earliest, picker.value().latest, panelKind(shownResults));
  const exporter = (output: "csv" | "ndjson") => async () => {
    const { earliest, latest } = picker.value();
    try {
      await api.download(query(), earliest, latest, output);
    } catch (e) {
      status.dataset.state = "failed";
      status.textContent = t("search.error", { message: (e as ApiError).message });
    }
  };
  exportCsv.onclick = exporter("csv");
  exportNdjson.onclick = exporter("ndjson");
  window.onpopstate = () => location.reload();
  available(["events"]);
  tabButtons.tail.hidden = true;
  select("events");
  if (params.get("q")) run();
}
