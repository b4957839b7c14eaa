// The query history: the last searches run (newest first, each once) in localStorage, offered
// in a dropdown beside the editor and by the editor's completion when it is empty.

import { t } from "../i18n";

const KEY = "loupe.history";
const KEEP = 50;
const SHOWN = 20;

export class QueryHistory {
  private select: HTMLSelectElement;

  constructor(parent: HTMLElement, private onPick: (query: string) => void) {
    this.select = document.createElement("select");
    this.select.dataset.testid = "history";
    this.select.setAttribute("aria-label", t("history.label"));
    this.select.onchange = () => {
      const q = this.select.value;
      this.select.selectedIndex = 0;
      if (q) this.onPick(q);
    };
    parent.append(this.select);
    this.draw();
  }

  list(): string[] {
    try {
      const h = JSON.parse(localStorage.getItem(KEY) ?? "[]");
      return Array.isArray(h) ? h.filter((x): x is string => typeof x === "string") : [];
    } catch {
      return [];
    }
  }

  remember(q: string): void {
    const next = [q, ...this.list().filter((x) => x !== q)].slice(0, KEEP);
    localStorage.setItem(KEY, JSON.stringify(next));
    this.draw();
  }

  private draw(): void {
    this.select.textContent = "";
    const head = document.createElement("option");
    head.value = "";
    head.textContent = t("history.label");
    this.select.append(head);
    for (const q of this.list().slice(0, SHOWN)) {
      const o = document.createElement("option");
      o.value = q;
      o.textContent = q.length > 80 ? `${q.slice(0, 79)}…` : q;
      o.title = q;
      this.select.append(o);
    }
  }
}
