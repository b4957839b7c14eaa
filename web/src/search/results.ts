// The Statistics tab: the result rows of a transforming search (stats, timechart, table…) as a
// table; a click on a header sorts by that column (again: the other way), numbers as numbers.
// Values are set as text only.

import { Page, Row } from "../api";
import { t } from "../i18n";
import { bothZones, timeCell } from "../times";

function cellText(c: string, v: unknown): string {
  if (v === null || v === undefined) return "";
  if (c === "_time") return bothZones(v).paris;
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

export function renderTable(parent: HTMLElement, page: Page): void {
  let sortBy: string | null = null;
  let descending = false;
  const draw = () => {
    parent.textContent = "";
    let rows: Row[] = page.rows;
    if (sortBy !== null) {
      const key = sortBy;
      // Stable: equal values keep the search's order.
      rows = rows
        .map((r, i) => [r, i] as const)
        .sort(([a, i], [b, j]) => {
          const c = compareValues(a[key], b[key]);
          return c === 0 ? i - j : descending ? -c : c;
        })
        .map(([r]) => r);
    }
    const table = document.createElement("table");
    table.className = "results";
    const head = document.createElement("tr");
    for (const c of page.columns) {
      const th = document.createElement("th");
      const button = document.createElement("button");
      button.className = "sort";
      button.textContent = c + (sortBy === c ? (descending ? " ▼" : " ▲") : "");
      button.title = t("results.sort");
      th.dataset.column = c;
      if (sortBy === c) th.dataset.sort = descending ? "desc" : "asc";
      button.onclick = () => {
        descending = sortBy === c ? !descending : false;
        sortBy = c;
        draw();
      };
      th.append(button);
      head.append(th);
    }
    const thead = document.createElement("thead");
    thead.append(head);
    const tbody = document.createElement("tbody");
    for (const row of rows) {
      const tr = document.createElement("tr");
      for (const c of page.columns) {
        const td = document.createElement("td");
        td.dataset.field = c;
        if (c === "_time") td.append(timeCell(row[c]));
        else td.textContent = cellText(c, row[c]);
        tr.append(td);
      }
      tbody.append(tr);
    }
    table.append(thead, tbody);
    parent.append(table);
    parent.dataset.rows = String(page.rows.length);
  };
  draw();
}
