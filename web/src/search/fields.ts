// The fields sidebar: each field's coverage, distinct count and top values from the job's
// summary; fields present in at least 20 % of the events are listed as interesting.

import { Summary } from "../api";
import { fmtNumber, t } from "../i18n";

export class FieldsView {
  constructor(
    private parent: HTMLElement,
    private onFilter: (field: string, value: string, negate: boolean) => void,
  ) {}

  show(s: Summary): void {
    this.parent.textContent = "";
    const entries = Object.entries(s.fields).sort((a, b) => b[1].coverage - a[1].coverage);
    const interesting = entries.filter(([, f]) => f.coverage >= 0.2);
    const other = entries.filter(([, f]) => f.coverage < 0.2);
    const section = (title: string, list: typeof entries) => {
      if (list.length === 0) return;
      const h = document.createElement("h3");
      h.textContent = title;
      this.parent.append(h);
      for (const [name, f] of list) {
        const details = document.createElement("details");
        details.className = "field";
        details.dataset.field = name;
        const summary = document.createElement("summary");
        summary.textContent = `${name} `;
        const meta = document.createElement("span");
        meta.className = "field-meta";
        meta.textContent = `${fmtNumber(Math.round(f.coverage * 100))} % · ${fmtNumber(f.distinct)}`;
        summary.append(meta);
        details.append(summary);
        const ul = document.createElement("ul");
        for (const top of f.top) {
          const li = document.createElement("li");
          const a = document.createElement("a");
          a.href = "#";
          a.textContent = top.value;
          a.onclick = (e) => {
            e.preventDefault();
            this.onFilter(name, top.value, e.altKey);
          };
          const n = document.createElement("span");
          n.className = "field-meta";
          n.textContent = ` ${fmtNumber(top.count)}`;
          li.append(a, n);
          ul.append(li);
        }
        details.append(ul);
        this.parent.append(details);
      }
    };
    section(t("fields.interesting"), interesting);
    section(t("fields.other"), other);
  }

  /** Values per field, for completion. */
  static values(s: Summary | null): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [k, f] of Object.entries(s?.fields ?? {})) out[k] = f.top.map((t) => t.value);
    return out;
  }
}
