// Live tail of a search: the server's stream of new events (GET /api/v1/tail), newest at the
// bottom as `tail -f` shows them, at most MAX_SHOWN kept; pause holds what arrives (up to
// MAX_HELD) and resume shows it. Event text is set as text only.

import { api, Row } from "../api";
import { fmtNumber, t } from "../i18n";
import { timeCell } from "../times";
import { highlight } from "./events";

const MAX_SHOWN = 1000;
const MAX_HELD = 5000;

export class TailView {
  private stop: (() => void) | null = null;
  private paused = false;
  private held: Row[] = [];
  private dropped = 0;
  private list: HTMLElement;
  private info: HTMLElement;
  private pauseButton: HTMLButtonElement;
  private words: string[] = [];

  constructor(private parent: HTMLElement) {
    parent.classList.add("tail");
    const bar = document.createElement("div");
    bar.className = "tail-bar";
    this.info = document.createElement("span");
    this.info.className = "tail-info";
    this.info.dataset.testid = "tail-info";
    this.pauseButton = document.createElement("button");
    this.pauseButton.dataset.testid = "tail-pause";
    this.pauseButton.textContent = t("tail.pause");
    this.pauseButton.onclick = () => (this.paused ? this.resume() : this.pause());
    bar.append(this.pauseButton, this.info);
    this.list = document.createElement("div");
    this.list.className = "tail-list";
    this.list.dataset.testid = "tail";
    parent.append(bar, this.list);
  }

  get running(): boolean {
    return this.stop !== null;
  }

  start(query: string, words: string[]): void {
    this.end();
    this.words = words;
    this.list.textContent = "";
    this.list.dataset.count = "0";
    this.held = [];
    this.dropped = 0;
    this.paused = false;
    this.pauseButton.textContent = t("tail.pause");
    this.parent.dataset.state = "running";
    this.info.textContent = t("tail.waiting");
    this.stop = api.tail(query, {
      onEvents: (rows) => this.arrive(rows),
      onStatus: (s) => {
        if (s.limited) this.info.textContent = t("tail.limited");
      },
      onError: (message) => {
        this.parent.dataset.state = "failed";
        this.info.textContent = t("search.error", { message });
        this.stop = null;
      },
    });
  }

  end(): void {
    this.stop?.();
    this.stop = null;
    this.parent.dataset.state = "stopped";
  }

  pause(): void {
    this.paused = true;
    this.parent.dataset.state = "paused";
    this.pauseButton.textContent = t("tail.resume");
    this.info.textContent = t("tail.paused", { n: fmtNumber(this.held.length) });
  }

  resume(): void {
    this.paused = false;
    this.parent.dataset.state = "running";
    this.pauseButton.textContent = t("tail.pause");
    const held = this.held;
    this.held = [];
    this.append(held);
  }

  private arrive(rows: Row[]): void {
    if (this.paused) {
      this.held.push(...rows);
      if (this.held.length > MAX_HELD) {
        this.dropped += this.held.length - MAX_HELD;
        this.held.splice(0, this.held.length - MAX_HELD);
      }
      this.info.textContent = t("tail.paused", { n: fmtNumber(this.held.length) });
      return;
    }
    this.append(rows);
  }

  private append(rows: Row[]): void {
    const atBottom = this.list.scrollTop + this.list.clientHeight >= this.list.scrollHeight - 4;
    for (const row of rows) {
      const item = document.createElement("div");
      item.className = "tail-event";
      const time = timeCell(row["_time"]);
      time.className = "event-time";
      const raw = document.createElement("pre");
      raw.className = "event-raw";
      highlight(raw, String(row["_raw"] ?? ""), this.words);
      const where = document.createElement("span");
      where.className = "tail-where";
      where.textContent = `${String(row["host"] ?? "")} · ${String(row["source"] ?? "")}`;
      item.append(time, raw, where);
      this.list.append(item);
    }
    while (this.list.childElementCount > MAX_SHOWN) this.list.firstElementChild?.remove();
    const total = Number(this.list.dataset.count ?? 0) + rows.length;
    this.list.dataset.count = String(total);
    this.info.textContent = t("tail.count", { n: fmtNumber(total) }) + (this.dropped ? t("tail.dropped", { n: fmtNumber(this.dropped) }) : "");
    if (atBottom) this.list.scrollTop = this.list.scrollHeight;
  }
}
