// The time picker: presets, relative modifiers (`-24h@h`), absolute times, all time; the
// range is shown in Europe/Paris and in the browser's zone.

import { MessageKey, t } from "../i18n";

export const PRESETS: [MessageKey, string, string][] = [
  ["time.last15m", "-15m", "now"],
  ["time.last60m", "-60m@m", "now"],
  ["time.last4h", "-4h@m", "now"],
  ["time.last24h", "-24h@h", "now"],
  ["time.today", "@d", "now"],
  ["time.yesterday", "-1d@d", "@d"],
  ["time.last7d", "-7d@d", "now"],
  ["time.prevweek", "-7d@w1", "@w1"],
  ["time.last30d", "-30d@d", "now"],
  ["time.all", "", ""],
];

export class TimePicker {
  private select: HTMLSelectElement;
  private earliest: HTMLInputElement;
  private latest: HTMLInputElement;
  private zones: HTMLElement;

  constructor(parent: HTMLElement, earliest: string, latest: string, private onChange: () => void) {
    this.select = document.createElement("select");
    this.select.setAttribute("aria-label", t("time.range"));
    for (const [label, e, l] of PRESETS) {
      const o = document.createElement("option");
      o.textContent = t(label);
      o.value = `${e}|${l}`;
      this.select.append(o);
    }
    const custom = document.createElement("option");
    custom.textContent = t("time.custom");
    custom.value = "custom";
    this.select.append(custom);
    this.earliest = document.createElement("input");
    this.earliest.placeholder = t("time.earliest");
    this.earliest.name = "earliest";
    this.latest = document.createElement("input");
    this.latest.placeholder = t("time.latest");
    this.latest.name = "latest";
    this.zones = document.createElement("span");
    this.zones.className = "zones";
    this.set(earliest, latest);
    this.select.onchange = () => {
      if (this.select.value !== "custom") {
        const [e, l] = this.select.value.split("|");
        this.earliest.value = e;
        this.latest.value = l;
      }
      this.onChange();
    };
    for (const i of [this.earliest, this.latest]) {
      i.onchange = () => {
        this.select.value = "custom";
        this.onChange();
      };
    }
    parent.append(this.select, this.earliest, this.latest, this.zones);
  }

  set(earliest: string, latest: string): void {
    this.earliest.value = earliest;
    this.latest.value = latest;
    const preset = PRESETS.find(([, e, l]) => e === earliest && l === latest);
    this.select.value = preset ? `${preset[1]}|${preset[2]}` : "custom";
    const browser = Intl.DateTimeFormat().resolvedOptions().timeZone;
    this.zones.textContent = `Europe/Paris${browser !== "Europe/Paris" ? ` · ${browser}` : ""}`;
  }

  value(): { earliest: string; latest: string } {
    return { earliest: this.earliest.value.trim(), latest: this.latest.value.trim() };
  }
}
