// Draws one panel's results: time series and charts (uPlot; bars as rows and pies as SVG, which
// uPlot does not draw), a single value with its trend, a table, events, a status board. Every
// value from the data is set as text or as an SVG attribute, never as HTML. A click on a point,
// a cell, a bar, a slice or a tile calls `onDrill` with its row.

import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { Page, Panel, Row } from "../api";
import { fmtNumber, fmtTime, t } from "../i18n";
import { timeAxis } from "../timeaxis";

export type Drill = (row: Row, field?: string) => void;

const STATUS_FILL = { green: "#16a34a", red: "#dc2626", grey: "#9ca3af" };
const PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563"];

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function text(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (Array.isArray(v)) return v.map(text).join(", ");
  if (typeof v === "number") return fmtNumber(v);
  return String(v);
}

function num(v: unknown): number | null {
  if (typeof v === "number") return Number.isFinite(v) ? v : null;
  if (typeof v === "string" && v.trim() !== "" && !Number.isNaN(Number(v))) return Number(v);
  return null;
}

/** Epoch seconds of a `_time` value (epoch seconds or an ISO string). */
function seconds(v: unknown): number | null {
  const n = num(v);
  if (n !== null) return n;
  if (typeof v === "string") {
    const ms = Date.parse(v);
    return Number.isNaN(ms) ? null : ms / 1000;
  }
  return null;
}

/** Columns that hold numbers in at least one row (the series of a chart). */
function numericColumns(page: Page, skip: string[]): string[] {
  return page.columns.filter((c) => !skip.includes(c) && !c.startsWith("_") && page.rows.some((r) => num(r[c]) !== null));
}

/** The colour class of a status value: green (ran, no error), red (errors), grey (did not run). */
export function statusColour(v: unknown): "green" | "red" | "grey" | null {
  const s = String(v ?? "").toLowerCase();
  if (["ok", "green", "success", "succeeded", "ran"].includes(s)) return "green";
  if (["error", "errors", "red", "failed", "failure", "silent", "critical"].includes(s)) return "red";
  if (["missing", "grey", "gray", "skipped", "not_run", "late"].includes(s)) return "grey";
  return null;
}

function statusLabel(c: "green" | "red" | "grey" | null): string {
  return c === "green" ? t("status.ok") : c === "red" ? t("status.error") : c === "grey" ? t("status.missing") : t("status.unknown");
}

export interface Drawn {
  /** What the test harness and people see: how many rows, points or tiles were drawn. */
  count: number;
  destroy?: () => void;
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

function size(box: HTMLElement): { width: number; height: number } {
  return { width: Math.max(240, box.clientWidth || 400), height: Math.max(120, (box.clientHeight || 200) - 30) };
}

function plot(
  box: HTMLElement,
  xs: number[],
  series: { label: string; values: (number | null)[] }[],
  kind: string,
  stacked: boolean,
  time: boolean,
  labels: string[] | null,
  onClick: ((i: number) => void) | null,
): Drawn {
  const bars = kind === "column" ? uPlot.paths.bars!({ size: [0.7, 60] }) : undefined;
  let data = series.map((s) => s.values);
  if (stacked) {
    const acc = xs.map(() => 0);
    data = data.map((vals) => vals.map((v, i) => (acc[i] += v ?? 0)));
  }
  // Stacked: the highest cumulative series is drawn first, each lower one over it, so every
  // band shows in its own colour.
  const order = series.map((_, i) => i);
  if (stacked) order.reverse();
  const alpha = stacked ? "dd" : "55";
  const opts: uPlot.Options = {
    ...size(box),
    legend: { show: series.length > 1 },
    scales: { x: { time } },
    axes: [labels ? { values: (_u, splits) => splits.map((s) => labels[Math.round(s)] ?? "") } : time ? timeAxis() : {}, { size: 60, values: (_u, splits) => splits.map((s) => fmtNumber(s)) }],
    series: [
      {},
      ...order.map((i) => ({
        label: series[i].label,
        stroke: PALETTE[i % PALETTE.length],
        fill: kind === "area" || kind === "column" ? PALETTE[i % PALETTE.length] + alpha : undefined,
        paths: bars,
        points: { show: xs.length < 3 },
      })),
    ],
  };
  const u = new uPlot(opts, [xs, ...order.map((i) => data[i])] as uPlot.AlignedData, box);
  if (onClick) {
    u.over.addEventListener("click", () => {
      const i = u.cursor.idx;
      if (i !== null && i !== undefined) onClick(i);
    });
    u.over.classList.add("clickable");
  }
  return { count: xs.length, destroy: () => u.destroy() };
}

function timechart(box: HTMLElement, panel: Panel, page: Page, onDrill: Drill | null): Drawn {
  const rows = page.rows.filter((r) => seconds(r["_time"]) !== null);
  const xs = rows.map((r) => seconds(r["_time"]) as number);
  const cols = numericColumns(page, ["_time", "_span"]);
  const series = cols.map((c) => ({ label: c, values: rows.map((r) => num(r[c])) }));
  return plot(box, xs, series, panel.chart ?? "line", !!panel.options?.stacked, true, null, onDrill ? (i) => onDrill(rows[i]) : null);
}

function chart(box: HTMLElement, panel: Panel, page: Page, onDrill: Drill | null): Drawn {
  const kind = panel.chart ?? "column";
  const labelCol = page.columns.find((c) => page.rows.some((r) => num(r[c]) === null)) ?? page.columns[0];
  const cols = numericColumns(page, [labelCol]);
  if (kind === "pie") return pie(box, page, labelCol, cols[0], onDrill);
  if (kind === "bar") return barRows(box, page, labelCol, cols[0], onDrill);
  const labels = page.rows.map((r) => text(r[labelCol]));
  const xs = page.rows.map((_, i) => i);
  const series = cols.map((c) => ({ label: c, values: page.rows.map((r) => num(r[c])) }));
  return plot(box, xs, series, kind, !!panel.options?.stacked, false, labels, onDrill ? (i) => onDrill(page.rows[i], labelCol) : null);
}

/** Horizontal bars as rows of the DOM: label, bar, value; easy to read and to click. */
function barRows(box: HTMLElement, page: Page, labelCol: string, valueCol: string, onDrill: Drill | null): Drawn {
  const max = Math.max(1, ...page.rows.map((r) => num(r[valueCol]) ?? 0));
  const list = el("div", "bars");
  for (const row of page.rows) {
    const v = num(row[valueCol]) ?? 0;
    const line = el("div", "bar-row");
    const bar = el("div", "bar");
    bar.style.width = `${(100 * v) / max}%`;
    const track = el("div", "bar-track");
    track.append(bar);
    line.append(el("span", "bar-label", text(row[labelCol])), track, el("span", "bar-value", fmtNumber(v)));
    if (onDrill) {
      line.classList.add("clickable");
      line.onclick = () => onDrill(row, labelCol);
    }
    list.append(line);
  }
  box.append(list);
  return { count: page.rows.length };
}

function pie(box: HTMLElement, page: Page, labelCol: string, valueCol: string, onDrill: Drill | null): Drawn {
  const NS = "http://www.w3.org/2000/svg";
  const values = page.rows.map((r) => Math.max(0, num(r[valueCol]) ?? 0));
  const total = values.reduce((a, b) => a + b, 0) || 1;
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", "-1.1 -1.1 2.2 2.2");
  svg.setAttribute("class", "pie");
  const legend = el("ul", "pie-legend");
  let angle = -Math.PI / 2;
  page.rows.forEach((row, i) => {
    const share = values[i] / total;
    const next = angle + share * 2 * Math.PI;
    const path = document.createElementNS(NS, "path");
    const [x1, y1, x2, y2] = [Math.cos(angle), Math.sin(angle), Math.cos(next), Math.sin(next)];
    const d =
      share >= 0.9999
        ? "M 1 0 A 1 1 0 1 1 -1 0 A 1 1 0 1 1 1 0 Z"
        : `M 0 0 L ${x1} ${y1} A 1 1 0 ${share > 0.5 ? 1 : 0} 1 ${x2} ${y2} Z`;
    path.setAttribute("d", d);
    // A slice named like a status (success, failure…) takes that status's colour.
    const status = statusColour(row[labelCol]);
    path.setAttribute("fill", status ? STATUS_FILL[status] : PALETTE[i % PALETTE.length]);
    const title = document.createElementNS(NS, "title");
    title.textContent = `${text(row[labelCol])}: ${fmtNumber(values[i])}`;
    path.append(title);
    if (onDrill) path.addEventListener("click", () => onDrill(row, labelCol));
    svg.append(path);
    const li = el("li");
    const swatch = el("span", status ? `swatch s-${status}` : `swatch c${i % PALETTE.length}`);
    li.append(swatch, document.createTextNode(`${text(row[labelCol])} (${fmtNumber(values[i])})`));
    legend.append(li);
    angle = next;
  });
  const wrap = el("div", "pie-wrap");
  wrap.append(svg, legend);
  box.append(wrap);
  return { count: page.rows.length };
}

function single(box: HTMLElement, panel: Panel, page: Page, onDrill: Drill | null): Drawn {
  const field = panel.options?.field ?? numericColumns(page, ["_time", "_span"])[0] ?? page.columns[0];
  const last = page.rows[page.rows.length - 1];
  const value = num(last[field]);
  const big = el("div", "single-value", value === null ? text(last[field]) : fmtNumber(value));
  if (panel.options?.unit) big.append(el("span", "single-unit", ` ${panel.options.unit}`));
  box.append(big);
  if (page.rows.length > 1 && value !== null) {
    const prev = num(page.rows[page.rows.length - 2][field]) ?? 0;
    const delta = value - prev;
    const trend = el(
      "div",
      `single-trend ${delta > 0 ? "up" : delta < 0 ? "down" : "flat"}`,
      delta > 0
        ? t("panel.trend.up", { delta: fmtNumber(delta) })
        : delta < 0
          ? t("panel.trend.down", { delta: fmtNumber(-delta) })
          : t("panel.trend.flat"),
    );
    box.append(trend);
  }
  if (onDrill) {
    big.classList.add("clickable");
    big.onclick = () => onDrill(last, field);
  }
  return { count: 1 };
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
      const td = el("td", undefined, c === "_time" ? fmtTime(String(row[c])) : text(row[c]));
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
    item.append(el("span", "event-time", fmtTime(String(row["_time"] ?? ""))), el("pre", "event-raw", String(row["_raw"] ?? "")));
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
