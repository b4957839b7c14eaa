// Times as the console shows them: in Europe/Paris (where Loupe's users and their batch logs
// are) and, when it differs, in the browser's own zone below it, so nobody converts by hand.

import { browserZone, fmtTime } from "./i18n";

/** `t` in Europe/Paris, and in the browser's zone when that is another one. */
export function bothZones(t: unknown): { paris: string; local: string | null } {
  if (t === undefined || t === null || t === "") return { paris: "", local: null };
  const v = typeof t === "number" ? t : String(t);
  const zone = browserZone();
  return { paris: fmtTime(v), local: zone === "Europe/Paris" ? null : fmtTime(v, zone) };
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
