// Draws one panel's results: time series and charts (uPlot; bars as rows and pies as SVG, which
// uPlot does not draw), a single value with its trend, a table, events, a status board. Every
// value from the data is set as text or as an SVG attribute, never as HTML. A click on a point,
// a cell, a bar, a slice or a tile calls `onDrill` with its row.

import { Page, Panel } from "../api";
import { chart, Drawn, Drill, el, single, statusColour, text, timechart } from "../charts";
import { t } from "../i18n";
import { timeCell } from "../times";

export type { Drawn, Drill } from "../charts";
export { statusColour } from "../charts";

function statusLabel(c: "green" | "red" | "grey" | null): string {
  return c === "green" ? t("status.ok") : c === "red" ? t("status.error") : c === "grey" ? t("status.missing") : t("status.unknown");
}

export function drawPanel(box: HTMLElement, panel: Panel, page: Page, onDrill: Drill | null): Drawn {
  box.textContent = "";
  if (page.rows.length === 0) {
    box.append(el("p", "panel-empty", t("panel.nodata")));
    return { count: 0 };
  }
  switch (panel.type) {
    case "timechart":
      return timechart(box, panel, page, onDrill);
    case "chart":
      return chart(box, panel, page, onDrill);
    case "single":
      return single(box, panel, page, onDrill);
    case "events":
      return events(box, panel, page);
    case "status":
      return statusBoard(box, panel, page, onDrill);
    default:
      return table(box, panel, page, onDrill);
  }
}

function table(box: HTMLElement, panel: Panel, page: Page, onDrill: Drill | null): Drawn {
  const statusField = panel.options?.status_field ?? "status";
  const cols = page.columns.filter((c) => c === "_time" || !c.startsWith("_") || c === "_raw");
  const tableEl = el("table", "results dash-table");
  const head = el("tr");
  for (const c of cols) head.append(el("th", undefined, c));
  const thead = el("thead");
  thead.append(head);
  const tbody = el("tbody");
  const rows = page.rows.slice(0, panel.options?.count ?? 1000);
  for (const row of rows) {
    const tr = el("tr");
    const colour = statusColour(row[statusField]);
    if (colour) tr.classList.add(`row-${colour}`);
    for (const c of cols) {
      const td = el("td", undefined, c === "_time" ? undefined : text(row[c]));
      if (c === "_time") td.append(timeCell(row[c]));
      td.dataset.field = c;
      if (onDrill) {
        td.classList.add("clickable");
        td.onclick = () => onDrill(row, c);
      }
      tr.append(td);
    }
    tbody.append(tr);
  }
  tableEl.append(thead, tbody);
  box.append(tableEl);
  return { count: rows.length };
}

function events(box: HTMLElement, panel: Panel, page: Page): Drawn {
  const list = el("div", "dash-events");
  const rows = page.rows.slice(0, panel.options?.count ?? 100);
  for (const row of rows) {
    const item = el("div", "dash-event");
    const time = timeCell(row["_time"]);
    time.className = "event-time";
    item.append(time, el("pre", "event-raw", String(row["_raw"] ?? "")));
    list.append(item);
  }
  box.append(list);
  return { count: rows.length };
}

function statusBoard(box: HTMLElement, panel: Panel, page: Page, onDrill: Drill | null): Drawn {
  const statusField = panel.options?.status_field ?? "status";
  const labelField = panel.options?.label_field ?? page.columns.find((c) => c !== statusField) ?? page.columns[0];
  const details = panel.options?.detail_fields ?? [];
  const board = el("div", "status-board");
  for (const row of page.rows) {
    const colour = statusColour(row[statusField]);
    const tile = el("button", `tile tile-${colour ?? "unknown"}`);
    tile.dataset.status = colour ?? "unknown";
    tile.append(el("span", "tile-label", text(row[labelField])));
    for (const d of details) {
      if (row[d] !== undefined && row[d] !== null && row[d] !== "") tile.append(el("span", "tile-detail", text(row[d])));
    }
    tile.append(el("span", "tile-status", statusLabel(colour)));
    tile.title = `${text(row[labelField])}: ${statusLabel(colour)}`;
    if (onDrill) tile.onclick = () => onDrill(row, labelField);
    else tile.disabled = true;
    board.append(tile);
  }
  box.append(board);
  return { count: page.rows.length };
}
