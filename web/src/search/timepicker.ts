// The time picker: presets, relative modifiers (`-24h@h`), absolute times, all time; the
// range is shown in Europe/Paris and in the browser's zone.

export const PRESETS: [string, string, string][] = [
  ["Last 15 minutes", "-15m", "now"],
  ["Last 60 minutes", "-60m@m", "now"],
  ["Last 4 hours", "-4h@m", "now"],
  ["Last 24 hours", "-24h@h", "now"],
  ["Today", "@d", "now"],
  ["Yesterday", "-1d@d", "@d"],
  ["Last 7 days", "-7d@d", "now"],
  ["Previous week", "-7d@w1", "@w1"],
  ["Last 30 days", "-30d@d", "now"],
  ["All time", "", ""],
];

export class TimePicker {
  private select: HTMLSelectElement;
  private earliest: HTMLInputElement;
  private latest: HTMLInputElement;
  private zones: HTMLElement;

  constructor(parent: HTMLElement, earliest: string, latest: string, private onChange: () => void) {
    this.select = document.createElement("select");
    this.select.setAttribute("aria-label", "time range");
    for (const [label, e, l] of PRESETS) {
      const o = document.createElement("option");
      o.textContent = label;
      o.value = `${e}|${l}`;
      this.select.append(o);
    }
    const custom = document.createElement("option");
    custom.textContent = "Custom";
    custom.value = "custom";
    this.select.append(custom);
    this.earliest = document.createElement("input");
    this.earliest.placeholder = "earliest (-24h@h, 2026-03-02T10:00)";
    this.earliest.name = "earliest";
    this.latest = document.createElement("input");
    this.latest.placeholder = "latest (now)";
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
