// The Visualization tab: a transforming search's rows drawn as a line, area, column, bar or pie
// chart or a single value, with the drawings of the dashboards (../charts). A `_time` column
// makes a time series; otherwise the first text column gives the categories.

import { ChartKind, Page } from "../api";
import { chart, Drawn, el, single, timechart } from "../charts";
import { MessageKey, t } from "../i18n";

export type VizKind = ChartKind | "single";
const KINDS: VizKind[] = ["column", "line", "area", "bar", "pie", "single"];

export class VizView {
  private kind: VizKind = "column";
  private page: Page | null = null;
  private drawn: Drawn | null = null;
  private select: HTMLSelectElement;
  private box: HTMLElement;
  private chosen = false;

  constructor(private parent: HTMLElement) {
    this.select = el("select");
    this.select.dataset.testid = "viz-kind";
    this.select.setAttribute("aria-label", t("viz.kind"));
    for (const k of KINDS) {
      const o = el("option", undefined, t(`viz.${k}` as MessageKey));
      o.value = k;
      this.select.append(o);
    }
    this.select.onchange = () => {
      this.kind = this.select.value as VizKind;
      this.chosen = true;
      this.draw();
    };
    this.box = el("div", "viz-box");
    this.box.dataset.testid = "viz";
    parent.append(this.select, this.box);
  }

  show(page: Page): void {
    this.page = page;
    // A time series reads best as a line; categories as columns.
    if (!this.chosen) {
      this.kind = page.columns.includes("_time") ? "line" : "column";
      this.select.value = this.kind;
    }
    this.draw();
  }

  /** Draws again (the tab became visible: uPlot needs the box's width). */
  draw(): void {
    this.drawn?.destroy?.();
    this.drawn = null;
    this.box.textContent = "";
    const page = this.page;
    if (!page || page.rows.length === 0 || this.parent.hidden) {
      this.box.dataset.count = "0";
      return;
    }
    const spec = { chart: this.kind === "single" ? undefined : this.kind, options: {} };
    const time = page.columns.includes("_time") && this.kind !== "bar" && this.kind !== "pie";
    this.drawn =
      this.kind === "single"
        ? single(this.box, spec, page, null)
        : time
          ? timechart(this.box, spec, page, null)
          : chart(this.box, spec, page, null);
    this.box.dataset.count = String(this.drawn.count);
    this.box.dataset.kind = this.kind;
  }
}
