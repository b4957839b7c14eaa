// The results table of a transforming search (stats, timechart, table…).

import { Page } from "../api";

export function renderTable(parent: HTMLElement, page: Page): void {
  parent.textContent = "";
  const table = document.createElement("table");
  table.className = "results";
  const head = document.createElement("tr");
  for (const c of page.columns) {
    const th = document.createElement("th");
    th.textContent = c;
    head.append(th);
  }
  const thead = document.createElement("thead");
  thead.append(head);
  const tbody = document.createElement("tbody");
  for (const row of page.rows) {
    const tr = document.createElement("tr");
    for (const c of page.columns) {
      const td = document.createElement("td");
      const v = row[c];
      td.textContent = v === null || v === undefined ? "" : Array.isArray(v) ? v.join("\n") : String(v);
      tr.append(td);
    }
    tbody.append(tr);
  }
  table.append(thead, tbody);
  parent.append(table);
  parent.dataset.rows = String(page.rows.length);
}
