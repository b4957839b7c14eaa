// Time axis labels of uPlot charts in the console's locale and in Europe/Paris (uPlot's own
// are English and in the browser's zone): the time of day under a day, with the date below it
// where the day changes (as Splunk's charts do), the date above a day.

import type uPlot from "uplot";
import { locale } from "./i18n";

const ZONE = "Europe/Paris";

export function timeAxis(): uPlot.Axis {
  return {
    space: 70,
    size: 56,
    values: (_u, splits, _axis, _space, incr) => {
      const at = (s: number) => new Date(s * 1000);
      if (incr < 86400) {
        const time = new Intl.DateTimeFormat(locale(), { hour: "2-digit", minute: "2-digit", timeZone: ZONE });
        const day = new Intl.DateTimeFormat(locale(), { day: "numeric", month: "short", timeZone: ZONE });
        let shown = "";
        return splits.map((s) => {
          const d = day.format(at(s));
          const label = d === shown ? time.format(at(s)) : `${time.format(at(s))}\n${d}`;
          shown = d;
          return label;
        });
      }
      const opts: Intl.DateTimeFormatOptions =
        incr < 28 * 86400 ? { day: "numeric", month: "short", timeZone: ZONE } : { month: "short", year: "numeric", timeZone: ZONE };
      const f = new Intl.DateTimeFormat(locale(), opts);
      return splits.map((s) => f.format(at(s)));
    },
  };
}
