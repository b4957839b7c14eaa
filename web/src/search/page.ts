// The search page (`/search?q=…&earliest=…&latest=…`; the URL always reflects the search so it
// can be shared): editor, time picker, job progress with cancel, timeline, events or results,
// fields sidebar.

import { EditorView } from "@codemirror/view";
import { api, ApiError, JobStatus, Summary } from "../api";
import { fmtNumber, MessageKey, t } from "../i18n";
import { createEditor } from "./editor";
import { EventsView } from "./events";
import { FieldsView } from "./fields";
import { renderTable } from "./results";
import { TimelineView } from "./timeline";
import { TimePicker } from "./timepicker";

const HISTORY_KEY = "loupe.history";

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text) e.textContent = text;
  return e;
}

/** The words of the base search (before the first pipe), for highlighting. */
function searchWords(query: string): string[] {
  const base = query.split("|")[0];
  const words: string[] = [];
  for (const m of base.matchAll(/"([^"]+)"|([^\s()="<>!]+)(?=\s|$)/g)) {
    const w = (m[1] ?? m[2] ?? "").replace(/\*/g, "");
    if (w && !/^(AND|OR|NOT)$/i.test(w) && !w.includes("=")) words.push(w);
  }
  return words;
}

export function searchPage(root: HTMLElement): void {
  const params = new URLSearchParams(location.search);
  const bar = el("div", "search-bar");
  const editorBox = el("div", "editor");
  const timeBox = el("div", "time");
  const runButton = el("button", "run", t("search.run"));
  runButton.dataset.testid = "run";
  bar.append(editorBox, timeBox, runButton);
  const status = el("div", "status");
  status.dataset.testid = "status";
  const cancelButton = el("button", "cancel", t("search.cancel"));
  cancelButton.hidden = true;
  const timeline = el("div", "timeline");
  timeline.dataset.testid = "timeline";
  const body = el("div", "body");
  const sidebar = el("aside", "fields");
  sidebar.dataset.testid = "fields";
  const content = el("section", "content");
  const events = el("div", "events-box");
  events.dataset.testid = "events";
  const table = el("div", "table-box");
  table.dataset.testid = "results";
  content.append(events, table);
  body.append(sidebar, content);
  const historyList = el("datalist");
  historyList.id = "history";
  root.append(bar, el("div", "status-line"), timeline, body);
  root.querySelector(".status-line")!.append(status, cancelButton);

  let summary: Summary | null = null;
  let sid: string | null = null;
  let editor: EditorView;
  const picker = new TimePicker(timeBox, params.get("earliest") ?? "-24h@h", params.get("latest") ?? "now", () => run());
  const eventsView = new EventsView({ parent: events, onFilter: (f, v, neg) => addFilter(f, v, neg) });
  const fieldsView = new FieldsView(sidebar, (f, v, neg) => addFilter(f, v, neg));
  const timelineView = new TimelineView(timeline, (lo, hi) => {
    picker.set(String(lo), String(hi));
    run();
  });

  function addFilter(field: string, value: string, negate: boolean): void {
    const q = editor.state.doc.toString();
    const quoted = /^[\w.:/-]+$/.test(value) ? value : `"${value.replace(/(["\\])/g, "\\$1")}"`;
    const term = `${negate ? "NOT " : ""}${field}=${quoted}`;
    const pipe = q.indexOf("|");
    const next = pipe < 0 ? `${q.trim()} ${term}` : `${q.slice(0, pipe).trim()} ${term} ${q.slice(pipe)}`;
    editor.dispatch({ changes: { from: 0, to: q.length, insert: next.trim() } });
    run();
  }

  function remember(q: string): void {
    const h: string[] = JSON.parse(localStorage.getItem(HISTORY_KEY) ?? "[]");
    const next = [q, ...h.filter((x) => x !== q)].slice(0, 50);
    localStorage.setItem(HISTORY_KEY, JSON.stringify(next));
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

  async function run(): Promise<void> {
    const query = editor.state.doc.toString().trim() || "*";
    const { earliest, latest } = picker.value();
    const url = new URL(location.href);
    url.searchParams.set("q", query);
    url.searchParams.set("earliest", earliest);
    url.searchParams.set("latest", latest);
    history.pushState(null, "", url);
    remember(query);
    if (sid) api.cancel(sid).catch(() => {});
    status.dataset.state = "queued";
    status.textContent = t("search.starting");
    let job: { sid: string };
    try {
      job = await api.startJob(query, earliest, latest);
    } catch (e) {
      status.dataset.state = "failed";
      status.textContent = t("search.error", { message: (e as ApiError).message });
      return;
    }
    const mine = job.sid;
    sid = mine;
    let finished: JobStatus;
    for (;;) {
      const s = await api.job(mine);
      if (sid !== mine) return;
      // "done" is shown once the events or results are drawn, not before they are fetched.
      if (s.state !== "done") showStatus(s);
      if (s.state === "running" || s.state === "queued") {
        const preview = await api.results(mine, 0, 200);
        if (preview.rows.length > 0 && preview.rows[0]["_raw"] !== undefined) eventsView.show(preview.rows, searchWords(query));
        await new Promise((r) => setTimeout(r, 250));
        continue;
      }
      if (s.state !== "done") return;
      finished = s;
      break;
    }
    const [page, tl] = await Promise.all([api.events(mine, 0, 10000), api.timeline(mine)]);
    timelineView.show(tl);
    if (page.rows.length > 0) {
      table.hidden = true;
      events.hidden = false;
      eventsView.show(page.rows, searchWords(query));
    } else {
      events.hidden = true;
      table.hidden = false;
      renderTable(table, await api.results(mine, 0, 10000));
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
  });
  runButton.onclick = () => run();
  cancelButton.onclick = async () => {
    if (sid) showStatus(await api.cancel(sid));
  };
  window.onpopstate = () => location.reload();
  if (params.get("q")) run();
}
