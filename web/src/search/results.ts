// The Statistics tab: the result rows of a transforming search (stats, timechart, table…) as a
// table, virtualised past 2,000 rows (only the rows in view exist, between two spacer rows, so
// 10,000 rows draw at once); a click on a header sorts by that column (again: the other way), numbers as numbers.
// Values are set as text only.

import { Virtualizer, elementScroll, observeElementOffset, observeElementRect } from "@tanstack/virtual-core";
import { Page, Row } from "../api";
import { t } from "../i18n";
import { timeCell } from "../times";

/** Up to this many rows the table is drawn whole: the browser scrolls it without any work of
 * ours (a virtualised table lays out again at every step); above it only the rows in view exist. */
const WHOLE_MAX = 2000;

/** Height of a one-line row (a multi-line one only makes the scrollbar a little off). */
const ROW_HEIGHT = 27;

function cellText(v: unknown): string {
  if (v === null || v === undefined) return "";
  return Array.isArray(v) ? v.join("\n") : String(v);
}

/** Numbers before text, numbers by value, text in the locale's order; empty last. */
export function compareValues(a: unknown, b: unknown): number {
  const empty = (v: unknown) => v === null || v === undefined || v === "";
  if (empty(a) || empty(b)) return empty(a) === empty(b) ? 0 : empty(a) ? 1 : -1;
  const na = typeof a === "number" ? a : Number(a);
  const nb = typeof b === "number" ? b : Number(b);
  const numA = !Number.isNaN(na) && String(a).trim() !== "";
  const numB = !Number.isNaN(nb) && String(b).trim() !== "";
  if (numA && numB) return na - nb;
  if (numA !== numB) return numA ? -1 : 1;
  return String(a).localeCompare(String(b));
}

export class ResultsTable {
  private page: Page = { columns: [], rows: [], offset: 0, total: 0, preview: false };
  private rows: Row[] = [];
  private sortBy: string | null = null;
  private descending = false;
  private table = document.createElement("table");
  private thead = document.createElement("thead");
  private tbody = document.createElement("tbody");
  private top = document.createElement("tr");
  private bottom = document.createElement("tr");
  private made = new Map<number, HTMLTableRowElement>();
  private virtualizer: Virtualizer<HTMLElement, HTMLElement>;

  constructor(private parent: HTMLElement) {
    this.table.className = "results";
    this.top.className = this.bottom.className = "spacer";
    this.top.append(document.createElement("td"));
    this.bottom.append(document.createElement("td"));
    this.table.append(this.thead, this.tbody);
    parent.append(this.table);
    this.virtualizer = new Virtualizer<HTMLElement, HTMLElement>({
      count: 0,
      getScrollElement: () => parent,
      estimateSize: () => ROW_HEIGHT,
      overscan: 10,
      scrollToFn: elementScroll,
      observeElementRect,
      observeElementOffset,
      onChange: () => this.drawRows(),
    });
    this.virtualizer._didMount();
  }

  show(page: Page): void {
    this.page = page;
    this.sortBy = null;
    this.descending = false;
    this.parent.dataset.rows = String(page.rows.length);
    this.sort();
  }

  private sort(): void {
    const key = this.sortBy;
    this.rows =
      key === null
        ? this.page.rows
        : this.page.rows
            .map((r, i) => [r, i] as const)
            // Stable: equal values keep the search's order.
            .sort(([a, i], [b, j]) => {
              const c = compareValues(a[key], b[key]);
              return c === 0 ? i - j : this.descending ? -c : c;
            })
            .map(([r]) => r);
    this.made.clear();
    this.drawHead();
    if (this.rows.length <= WHOLE_MAX) {
      this.virtualizer.setOptions({ ...this.virtualizer.options, count: 0 });
      this.tbody.replaceChildren(...this.rows.map((_, i) => this.row(i)));
      return;
    }
    this.virtualizer.setOptions({ ...this.virtualizer.options, count: this.rows.length });
    this.virtualizer._willUpdate();
    this.drawRows();
  }

  private drawHead(): void {
    const head = document.createElement("tr");
    for (const c of this.page.columns) {
      const th = document.createElement("th");
      const button = document.createElement("button");
      button.className = "sort";
      button.textContent = c + (this.sortBy === c ? (this.descending ? " ▼" : " ▲") : "");
      button.title = t("results.sort");
      th.dataset.column = c;
      if (this.sortBy === c) th.dataset.sort = this.descending ? "desc" : "asc";
      button.onclick = () => {
        this.descending = this.sortBy === c ? !this.descending : false;
        this.sortBy = c;
        this.sort();
      };
      th.append(button);
      head.append(th);
    }
    this.thead.replaceChildren(head);
  }

  private row(i: number): HTMLTableRowElement {
    const tr = document.createElement("tr");
    const row = this.rows[i];
    for (const c of this.page.columns) {
      const td = document.createElement("td");
      td.dataset.field = c;
      if (c === "_time" && row[c] !== undefined && row[c] !== null) td.append(timeCell(row[c]));
      else td.textContent = cellText(row[c]);
      tr.append(td);
    }
    return tr;
  }

  /** The rows in view between spacers; rows already made are reused while they stay in view. */
  private drawRows(): void {
    if (this.rows.length <= WHOLE_MAX) return;
    const items = this.virtualizer.getVirtualItems();
    const total = this.virtualizer.getTotalSize();
    const first = items[0]?.start ?? 0;
    const end = items.length ? items[items.length - 1].end : 0;
    const wanted = new Set(items.map((i) => i.index));
    for (const i of this.made.keys()) if (!wanted.has(i)) this.made.delete(i);
    const trs = items.map((item) => {
      let tr = this.made.get(item.index);
      if (!tr) {
        tr = this.row(item.index);
        this.made.set(item.index, tr);
      }
      return tr;
    });
    // A row without cells has no height: the spacers are one cell across the table.
    for (const [spacer, h] of [
      [this.top, first],
      [this.bottom, Math.max(0, total - end)],
    ] as const) {
      const td = spacer.firstElementChild as HTMLTableCellElement;
      td.colSpan = Math.max(1, this.page.columns.length);
      td.style.height = `${h}px`;
      spacer.hidden = h === 0;
    }
    this.tbody.replaceChildren(this.top, ...trs, this.bottom);
  }
}
