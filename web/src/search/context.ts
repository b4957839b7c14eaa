// "Show context" of an event: the events just before and after it from the same index, host
// and source, whatever the search filtered out (GET /api/v1/context), oldest first as in the
// log file, the event itself highlighted among them. Event text is set as text only.

import { api, ApiError, Row } from "../api";
import { t } from "../i18n";
import { timeCell } from "../times";
import { highlight } from "./events";

const SIZES = [5, 10, 25, 50, 100];

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Opens the context of `hit` over the page; Escape or the close button closes it. */
export function showContext(hit: Row, words: string[]): void {
  document.querySelector(".context-panel")?.remove();
  const panel = el("div", "context-panel");
  panel.dataset.testid = "context";
  panel.setAttribute("role", "dialog");
  const head = el("div", "context-head");
  const title = el("h2", undefined, t("context.title"));
  const where = el("p", "context-where", t("context.where", { host: String(hit["host"] ?? ""), source: String(hit["source"] ?? ""), index: String(hit["index"] ?? "") }));
  const size = el("select");
  size.setAttribute("aria-label", t("context.size"));
  for (const n of SIZES) {
    const o = el("option", undefined, t("context.n", { n }));
    o.value = String(n);
    o.selected = n === 10;
    size.append(o);
  }
  const close = el("button", undefined, t("context.close"));
  close.dataset.testid = "context-close";
  head.append(title, size, close);
  const list = el("div", "context-list");
  panel.append(head, where, list);
  document.body.append(panel);
  const onKey = (e: KeyboardEvent) => {
    if (e.key === "Escape") done();
  };
  const done = () => {
    panel.remove();
    document.removeEventListener("keydown", onKey);
  };
  close.onclick = done;
  document.addEventListener("keydown", onKey);

  const load = async () => {
    const n = Number(size.value);
    list.textContent = "";
    panel.dataset.state = "loading";
    list.append(el("p", "context-loading", t("panel.loading")));
    try {
      const c = await api.context(hit, n, n);
      list.textContent = "";
      let marked = false;
      const line = (row: Row, isHit: boolean) => {
        const item = el("div", isHit ? "context-event hit" : "context-event");
        if (isHit) item.dataset.hit = "true";
        const time = timeCell(row["_time"]);
        time.className = "event-time";
        const raw = el("pre", "event-raw");
        if (isHit) highlight(raw, String(row["_raw"] ?? ""), words);
        else raw.textContent = String(row["_raw"] ?? "");
        item.append(time, raw);
        list.append(item);
        return item;
      };
      for (const r of c.before) line(r, false);
      let hitEl: HTMLElement | null = null;
      for (const r of c.at) {
        const isHit: boolean = !marked && r["_raw"] === hit["_raw"];
        marked ||= isHit;
        const item = line(r, isHit);
        if (isHit) hitEl = item;
      }
      for (const r of c.after) line(r, false);
      panel.dataset.count = String(c.before.length + c.at.length + c.after.length);
      panel.dataset.state = "done";
      hitEl?.scrollIntoView({ block: "center" });
    } catch (e) {
      list.textContent = "";
      list.append(el("p", "panel-error", t("panel.error", { message: (e as ApiError).message })));
      panel.dataset.state = "failed";
    }
  };
  size.onchange = () => load();
  load();
}
