// The timeline: the job's counts per bin over its whole range (GET /jobs/{sid}/timeline, never
// the returned events only), as uPlot bars; a drag selects a range and narrows the search to it.

import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { Timeline } from "../api";
import { t } from "../i18n";
import { timeAxis } from "../timeaxis";

export class TimelineView {
  private plot: uPlot | null = null;

  constructor(
    private parent: HTMLElement,
    private onZoom: (earliest: number, latest: number) => void,
  ) {}

  show(tl: Timeline): void {
    this.plot?.destroy();
    this.parent.textContent = "";
    const span = tl.span;
    // Each bar stands at the middle of its bin, and the axis runs from the first bin's start
    // to the last one's end: left to uPlot, a single bin (every event in one second) stretched
    // the axis over years.
    const starts = tl.buckets.map((b) => Date.parse(b.time) / 1000);
    const xs = starts.map((x) => x + span / 2);
    const ys = tl.buckets.map((b) => b.count);
    const total = ys.reduce((a, b) => a + b, 0);
    this.parent.dataset.total = String(total);
    this.parent.dataset.bins = String(xs.length);
    if (xs.length === 0) return;
    const range: uPlot.Range.MinMax = [starts[0], starts[starts.length - 1] + span];
    const bars = uPlot.paths.bars!({ size: [0.9, 100] });
    this.plot = new uPlot(
      {
        width: Math.max(300, this.parent.clientWidth || 800),
        height: 110,
        legend: { show: false },
        cursor: { drag: { x: true, y: false, setScale: false } },
        scales: { x: { time: true, range: () => range } },
        axes: [timeAxis(), { size: 60 }],
        series: [{}, { label: t("timeline.events"), fill: "#93c5fd", stroke: "#2563eb", paths: bars, points: { show: false } }],
        hooks: {
          // What the axis shows, for the console test.
          setScale: [
            (u, key) => {
              if (key !== "x") return;
              this.parent.dataset.from = String(u.scales.x.min);
              this.parent.dataset.to = String(u.scales.x.max);
              this.parent.dataset.span = String(span);
            },
          ],
          setSelect: [
            (u) => {
              if (u.select.width < 2) return;
              const lo = u.posToVal(u.select.left, "x");
              const hi = u.posToVal(u.select.left + u.select.width, "x");
              // Whole bins: the range covers every bin the selection touches.
              this.onZoom(Math.floor(lo / span) * span, Math.ceil(hi / span) * span);
            },
          ],
        },
      },
      [xs, ys],
      this.parent,
    );
  }
}
