// The drawings shared by dashboard panels and the search page's Visualization tab: time series
// and category charts (uPlot), horizontal bars as DOM rows and pies as SVG (which uPlot does not
// draw), a single value with its trend. Every value from the data is set as text or as an SVG
// attribute, never as HTML. A click on a point, a bar or a slice calls `onDrill` with its row.

import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { ChartKind, Page, PanelOptions, Row } from "./api";
import { fmtNumber, t } from "./i18n";
import { timeAxis } from "./timeaxis";

export type Drill = (row: Row, field?: string) => void;

/** What a drawing needs of a panel: its chart kind and options. */
export interface ChartSpec {
  chart?: ChartKind;
  options?: PanelOptions;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

export function text(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (Array.isArray(v)) return v.map(text).join(", ");
  if (typeof v === "number") return fmtNumber(v);
  return String(v);
}

export function num(v: unknown): number | null {
  if (typeof v === "number") return Number.isFinite(v) ? v : null;
  if (typeof v === "string" && v.trim() !== "" && !Number.isNaN(Number(v))) return Number(v);
  return null;
}

/** Epoch seconds of a `_time` value (epoch seconds or an ISO string). */
export function seconds(v: unknown): number | null {
  const n = num(v);
  if (n !== null) return n;
  if (typeof v === "string") {
    const ms = Date.parse(v);
    return Number.isNaN(ms) ? null : ms / 1000;
  }
  return null;
}

/** Columns that hold numbers in at least one row (the series of a chart). */
export function numericColumns(page: Page, skip: string[]): string[] {
  return page.columns.filter((c) => !skip.includes(c) && !c.startsWith("_") && page.rows.some((r) => num(r[c]) !== null));
}

export const STATUS_FILL = { green: "#16a34a", red: "#dc2626", grey: "#9ca3af" };
export const PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563"];

/** The colour class of a status value: green (ran, no error), red (errors), grey (did not run). */
export function statusColour(v: unknown): "green" | "red" | "grey" | null {
  const s = String(v ?? "").toLowerCase();
  if (["ok", "green", "success", "succeeded", "ran"].includes(s)) return "green";
  if (["error", "errors", "red", "failed", "failure", "silent", "critical"].includes(s)) return "red";
  if (["missing", "grey", "gray", "skipped", "not_run", "late"].includes(s)) return "grey";
  return null;
}

export interface Drawn {
  /** What the test harness and people see: how many rows, points or tiles were drawn. */
  count: number;
  destroy?: () => void;
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

export function timechart(box: HTMLElement, panel: ChartSpec, page: Page, onDrill: Drill | null): Drawn {
  const rows = page.rows.filter((r) => seconds(r["_time"]) !== null);
  const xs = rows.map((r) => seconds(r["_time"]) as number);
  const cols = numericColumns(page, ["_time", "_span"]);
  const series = cols.map((c) => ({ label: c, values: rows.map((r) => num(r[c])) }));
  return plot(box, xs, series, panel.chart ?? "line", !!panel.options?.stacked, true, null, onDrill ? (i) => onDrill(rows[i]) : null);
}

export function chart(box: HTMLElement, panel: ChartSpec, page: Page, onDrill: Drill | null): Drawn {
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

export function single(box: HTMLElement, panel: ChartSpec, page: Page, onDrill: Drill | null): Drawn {
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

