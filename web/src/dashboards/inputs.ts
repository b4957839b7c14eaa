// A dashboard's inputs: time picker, dropdown and multiselect (fixed choices and those of a
// search), text. Each sets its `$token$`; the values live in the URL (`?form.TOKEN=…`, a time
// input as `form.TOKEN.earliest`/`.latest`) so a dashboard as shown can be shared.

import { Input } from "../api";
import { t } from "../i18n";
import { TimePicker } from "../search/timepicker";
import { SearchCache } from "./runner";
import { substitute, Tokens } from "./tokens";

export class InputsBar {
  private values = new Map<string, string[]>();
  private pickers = new Map<string, TimePicker>();

  constructor(
    private parent: HTMLElement,
    private inputs: Input[],
    private now: string,
    private onChange: () => void,
  ) {
    const params = new URLSearchParams(location.search);
    for (const i of inputs) {
      if (i.type === "time") {
        const e = params.get(`form.${i.token}.earliest`) ?? i.earliest ?? "-24h@h";
        const l = params.get(`form.${i.token}.latest`) ?? i.latest ?? "now";
        this.values.set(i.token, [e, l]);
      } else if (i.type === "multiselect") {
        const given = params.getAll(`form.${i.token}`);
        this.values.set(i.token, given.length ? given : (i.defaults ?? []));
      } else {
        this.values.set(i.token, [params.get(`form.${i.token}`) ?? i.default ?? ""]);
      }
    }
  }

  /** Draws the inputs; the choices of input searches come from `cache`. */
  render(cache: SearchCache): void {
    this.parent.textContent = "";
    for (const input of this.inputs) {
      const box = document.createElement("label");
      box.className = `dash-input input-${input.type}`;
      box.dataset.token = input.token;
      const name = document.createElement("span");
      name.className = "input-label";
      name.textContent = input.label || input.token;
      box.append(name);
      this.parent.append(box);
      if (input.type === "time") {
        const [e, l] = this.values.get(input.token) ?? ["", ""];
        const picker = new TimePicker(box, e, l, () => {
          const v = picker.value();
          this.set(input.token, [v.earliest, v.latest]);
        });
        this.pickers.set(input.token, picker);
      } else if (input.type === "text") {
        const field = document.createElement("input");
        field.value = this.values.get(input.token)?.[0] ?? "";
        field.onchange = () => this.set(input.token, [field.value]);
        box.append(field);
      } else {
        const select = document.createElement("select");
        select.multiple = input.type === "multiselect";
        select.onchange = () =>
          this.set(
            input.token,
            [...select.selectedOptions].map((o) => o.value),
          );
        box.append(select);
        this.fill(select, input, cache);
      }
    }
  }

  private async fill(select: HTMLSelectElement, input: Input, cache: SearchCache): Promise<void> {
    const choices = [...(input.choices ?? [])];
    if (input.search) {
      try {
        const page = await cache.run({ query: substitute(input.search, this.tokens()), earliest: "", latest: "", now: this.now });
        const vf = input.value_field ?? page.columns[0];
        const lf = input.label_field ?? vf;
        for (const r of page.rows) choices.push({ value: String(r[vf] ?? ""), label: String(r[lf] ?? r[vf] ?? "") });
      } catch {
        // The fixed choices stay usable when the search fails.
      }
    }
    const selected = new Set(this.values.get(input.token) ?? []);
    select.textContent = "";
    for (const c of choices) {
      const o = document.createElement("option");
      o.value = c.value;
      o.textContent = c.label === "*" ? t("dash.all") : c.label;
      o.selected = selected.has(c.value);
      select.append(o);
    }
    select.dataset.choices = String(choices.length);
  }

  private set(token: string, v: string[]): void {
    this.values.set(token, v);
    const url = new URL(location.href);
    const input = this.inputs.find((i) => i.token === token);
    if (input?.type === "time") {
      url.searchParams.set(`form.${token}.earliest`, v[0]);
      url.searchParams.set(`form.${token}.latest`, v[1]);
    } else {
      url.searchParams.delete(`form.${token}`);
      for (const x of v) url.searchParams.append(`form.${token}`, x);
    }
    history.replaceState(null, "", url);
    this.onChange();
  }

  /** The first time input's range: the range of every panel without its own. */
  range(): { earliest: string; latest: string } {
    const time = this.inputs.find((i) => i.type === "time");
    const v = time ? this.values.get(time.token) : undefined;
    return { earliest: v?.[0] ?? "", latest: v?.[1] ?? "" };
  }

  /** Every token's value as searches see it. */
  tokens(): Tokens {
    const out: Tokens = {};
    for (const i of this.inputs) {
      const v = this.values.get(i.token) ?? [];
      if (i.type === "time") {
        out[`${i.token}.earliest`] = v[0] ?? "";
        out[`${i.token}.latest`] = v[1] ?? "";
      } else if (i.type === "multiselect") {
        const parts = v.filter((x) => x !== "").map((x) => `${i.prefix ?? ""}${x}${i.suffix ?? ""}`);
        out[i.token] = parts.length === 0 ? "*" : parts.length === 1 ? parts[0] : `(${parts.join(i.delimiter ?? " OR ")})`;
      } else {
        out[i.token] = v[0] === undefined || v[0] === "" ? "*" : `${i.prefix ?? ""}${v[0]}${i.suffix ?? ""}`;
      }
    }
    return out;
  }
}
