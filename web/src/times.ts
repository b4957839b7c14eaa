// Times as the console shows them: in Europe/Paris (where Loupe's users and their batch logs
// are) and, when it differs, in the browser's own zone below it, so nobody converts by hand.

import { browserZone, fmtTime, locale } from "./i18n";

const zoneNames = new Map<string, Intl.DateTimeFormat>();

/** `t` in `zone` with the zone's short name (`UTC`, `GMT-5`): the second line says which it is. */
function withZone(t: number | string, zone: string): string {
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return String(t);
  // `dateStyle` cannot go with `timeZoneName`: the zone's name is asked for on its own.
  let named = zoneNames.get(zone);
  if (!named) {
    named = new Intl.DateTimeFormat(locale(), { hour: "numeric", timeZone: zone, timeZoneName: "short" });
    zoneNames.set(zone, named);
  }
  const name = named
    .formatToParts(d)
    .find((p) => p.type === "timeZoneName")?.value;
  return `${fmtTime(d, zone)}${name ? ` ${name}` : ""}`;
}

/** `t` in Europe/Paris, and in the browser's zone when that is another one. */
export function bothZones(t: unknown): { paris: string; local: string | null } {
  if (t === undefined || t === null || t === "") return { paris: "", local: null };
  const v = typeof t === "number" ? t : String(t);
  const zone = browserZone();
  return { paris: fmtTime(v), local: zone === "Europe/Paris" ? null : withZone(v, zone) };
}

/** A block with the Paris time and the browser zone's time (with its name) under it. */
export function timeCell(t: unknown): HTMLElement {
  const box = document.createElement("div");
  const { paris, local } = bothZones(t);
  const main = document.createElement("span");
  main.className = "time-paris";
  main.textContent = paris;
  main.title = `Europe/Paris · ${String(t ?? "")}`;
  box.append(main);
  if (local) {
    const other = document.createElement("span");
    other.className = "time-local";
    other.textContent = local;
    other.title = browserZone();
    box.append(other);
  }
  return box;
}
