// Time axis labels of uPlot charts in the console's locale and in Europe/Paris (uPlot's own
// are English and in the browser's zone): the time of day under a day, the date above it.

import type uPlot from "uplot";
import { locale } from "./i18n";

export function timeAxis(): uPlot.Axis {
  return {
    space: 70,
    values: (_u, splits, _axis, _space, incr) => {
      const zone = "Europe/Paris";
      const opts: Intl.DateTimeFormatOptions =
        incr < 3 * 3600
          ? { hour: "2-digit", minute: "2-digit", timeZone: zone }
          : incr < 86400
            ? { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", timeZone: zone }
            : incr < 28 * 86400
              ? { day: "numeric", month: "short", timeZone: zone }
              : { month: "short", year: "numeric", timeZone: zone };
      const f = new Intl.DateTimeFormat(locale(), opts);
      return splits.map((s) => f.format(new Date(s * 1000)));
    },
  };
}
