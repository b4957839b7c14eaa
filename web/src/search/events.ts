// The events list: newest first, virtualised (only the rows on screen exist in the DOM), the
// search's words highlighted, each event expandable to its fields; a click on a value adds
// `field=value` to the search (Alt-click: `NOT field=value`). Event text is only ever set as
// text, never as HTML.

import { Virtualizer, elementScroll, observeElementOffset, observeElementRect } from "@tanstack/virtual-core";
import { Row } from "../api";
import { t } from "../i18n";
import { timeCell } from "../times";

export interface EventsOptions {
  parent: HTMLElement;
  onFilter: (field: string, value: string, negate: boolean) => void;
  /** "Show context" of an event: its neighbours in its stream. */
  onContext?: (row: Row) => void;
}

/** `key=value` pairs of an event, as Splunk's automatic extraction reads them. */
function pairs(raw: string): [string, string][] {
  const out: [string, string][] = [];
  const re = /([A-Za-z_][\w.]*)=("([^"]*)"|[^\s,;]+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(raw)) && out.length < 50) out.push([m[1], m[3] ?? m[2]]);
  return out;
}

/** Appends `text` to `el` with each of `words` wrapped in <mark>, as text nodes only. */
export function highlight(el: HTMLElement, text: string, words: string[]): void {
  const ws = words.filter((w) => w.length > 0).map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  if (ws.length === 0) {
    el.append(document.createTextNode(text));
    return;
  }
  const re = new RegExp(`(${ws.join("|")})`, "gi");
  let last = 0;
  for (const m of text.matchAll(re)) {
    const i = m.index ?? 0;
    if (i > last) el.append(document.createTextNode(text.slice(last, i)));
    const mark = document.createElement("mark");
    mark.textContent = m[0];
    el.append(mark);
    last = i + m[0].length;
  }
  if (last < text.length) el.append(document.createTextNode(text.slice(last)));
}

export class EventsView {
  private rows: Row[] = [];
  private words: string[] = [];
  private open = new Set<number>();
  private shown = new Map<number, HTMLElement>();
  private inner: HTMLElement;
  private virtualizer: Virtualizer<HTMLElement, HTMLElement>;
  private cleanup: () => void;

  constructor(private opts: EventsOptions) {
    opts.parent.classList.add("events");
    this.inner = document.createElement("div");
    this.inner.className = "events-inner";
    opts.parent.append(this.inner);
    this.virtualizer = new Virtualizer<HTMLElement, HTMLElement>({
      count: 0,
      getScrollElement: () => opts.parent,
      estimateSize: () => 56,
      overscan: 8,
      scrollToFn: elementScroll,
      observeElementRect,
      observeElementOffset,
      measureElement: (el) => el.getBoundingClientRect().height,
      onChange: () => this.render(),
    });
    this.cleanup = this.virtualizer._didMount();
  }

  destroy(): void {
    this.cleanup();
  }

  show(rows: Row[], words: string[]): void {
    this.rows = rows;
    this.words = words;
    this.open.clear();
    this.shown.clear();
    this.inner.textContent = "";
    this.opts.parent.dataset.count = String(rows.length);
    this.virtualizer.setOptions({ ...this.virtualizer.options, count: rows.length });
    this.virtualizer._willUpdate();
    this.render();
  }

  /** Draws the rows on screen; rows already drawn are moved, not made again (scrolling only
   * builds the rows that come into view). */
  private render(): void {
    const items = this.virtualizer.getVirtualItems();
    this.inner.style.height = `${this.virtualizer.getTotalSize()}px`;
    const wanted = new Set(items.map((i) => i.index));
    for (const [i, el] of this.shown) {
      if (!wanted.has(i)) {
        el.remove();
        this.shown.delete(i);
      }
    }
    for (const item of items) {
      const kept = this.shown.get(item.index);
      if (kept) {
        kept.style.transform = `translateY(${item.start}px)`;
        continue;
      }
      const row = this.rows[item.index];
      const el = document.createElement("div");
      el.className = "event";
      el.dataset.index = String(item.index);
      el.style.transform = `translateY(${item.start}px)`;
      const time = timeCell(row["_time"]);
      time.className = "event-time";
      if (this.opts.onContext) {
        const ctx = document.createElement("button");
        ctx.className = "event-context";
        ctx.dataset.testid = "show-context";
        ctx.textContent = t("events.context");
        ctx.onclick = () => this.opts.onContext?.(row);
        time.append(ctx);
      }
      const raw = document.createElement("pre");
      raw.className = "event-raw";
      highlight(raw, String(row["_raw"] ?? ""), this.words);
      const toggle = document.createElement("button");
      toggle.className = "event-toggle";
      toggle.textContent = this.open.has(item.index) ? "▾" : "▸";
      toggle.title = t("events.fields");
      toggle.onclick = () => {
        if (this.open.has(item.index)) this.open.delete(item.index);
        else this.open.add(item.index);
        this.shown.get(item.index)?.remove();
        this.shown.delete(item.index);
        this.render();
      };
      el.append(toggle, time, raw);
      if (this.open.has(item.index)) el.append(this.fields(row));
      this.inner.append(el);
      this.shown.set(item.index, el);
      this.virtualizer.measureElement(el);
    }
  }

  private fields(row: Row): HTMLElement {
    const table = document.createElement("table");
    table.className = "event-fields";
    const all: [string, string][] = [];
    for (const k of ["host", "source", "sourcetype", "index"]) {
      if (row[k] !== undefined) all.push([k, String(row[k])]);
    }
    all.push(...pairs(String(row["_raw"] ?? "")));
    for (const [k, v] of all) {
      const tr = document.createElement("tr");
      const name = document.createElement("td");
      name.textContent = k;
      const value = document.createElement("td");
      const link = document.createElement("a");
      link.href = "#";
      link.className = "field-value";
      link.textContent = v;
      link.title = t("events.filter");
      link.onclick = (e) => {
        e.preventDefault();
        this.opts.onFilter(k, v, e.altKey);
      };
      value.append(link);
      tr.append(name, value);
      table.append(tr);
    }
    return table;
  }
}
