// The console's one translation table (English and French) and its locale formatting. The
// language comes from localStorage (the header's switch), else the browser's languages; dates
// and numbers go through Intl for that locale. `fr` is typed by `en`'s keys, so a key missing
// from French does not compile, and web/tests/i18n.mjs checks both ways.

const en = {
  "nav.search": "Search",
  "nav.dashboards": "Dashboards",
  "nav.language": "Language",
  "token.label": "API token (a [[tokens]] entry of loupe.toml)",
  "token.continue": "Continue",
  "page.none": "No page at {path}.",
  "search.run": "Search",
  "search.cancel": "Cancel",
  "search.starting": "starting…",
  "search.error": "Error: {message}",
  "search.failed": "the search failed",
  "search.progress": "{state} · {matched} events matched of {scanned} scanned · {done}/{total} buckets · {secs} s",
  "search.stopped": " · stopped by {reason}",
  "search.placeholder": "Search: index=web status>=500 | stats count by host",
  "search.editor": "SPL search",
  "state.queued": "queued",
  "state.running": "running",
  "state.done": "done",
  "state.failed": "failed",
  "state.cancelled": "cancelled",
  "time.range": "time range",
  "time.last15m": "Last 15 minutes",
  "time.last60m": "Last 60 minutes",
  "time.last4h": "Last 4 hours",
  "time.last24h": "Last 24 hours",
  "time.today": "Today",
  "time.yesterday": "Yesterday",
  "time.last7d": "Last 7 days",
  "time.prevweek": "Previous week",
  "time.last30d": "Last 30 days",
  "time.all": "All time",
  "time.custom": "Custom",
  "time.earliest": "earliest (-24h@h, 2026-03-02T10:00)",
  "time.latest": "latest (now)",
  "timeline.events": "events",
  "fields.interesting": "Interesting fields",
  "fields.other": "Other fields",
  "events.fields": "fields",
  "events.filter": "click: add to the search; Alt-click: exclude",
  "dash.list.title": "Dashboards",
  "dash.list.empty": "No dashboard yet.",
  "dash.list.new": "New dashboard",
  "dash.list.panels": "{n} panels",
  "dash.list.managed": "managed by {file}",
  "dash.notfound": "No dashboard {id}: {message}",
  "dash.edit": "Edit",
  "dash.view": "View",
  "dash.save": "Save",
  "dash.delete": "Delete",
  "dash.saved": "Saved.",
  "dash.refresh": "Refresh",
  "dash.autorefresh": "auto-refresh every {period}",
  "dash.asof": "as of {time}",
  "dash.managed": "Managed by {file}: change the file and run loupe apply.",
  "dash.invalid": "Not saved: {message}",
  "dash.badjson": "Not JSON: {message}",
  "dash.addpanel": "Add panel",
  "dash.remove": "Remove",
  "dash.up": "Move up",
  "dash.down": "Move down",
  "dash.newpanel": "New panel",
  "dash.all": "All",
  "panel.loading": "Loading…",
  "panel.nodata": "No results.",
  "panel.error": "Error: {message}",
  "panel.rows": "{n} rows",
  "panel.trend.up": "▲ {delta} since the previous",
  "panel.trend.down": "▼ {delta} since the previous",
  "panel.trend.flat": "= unchanged",
  "status.ok": "ran, no error",
  "status.error": "errors",
  "status.missing": "did not run",
  "status.unknown": "unknown",
} as const;

/** A key of the translation table. */
export type MessageKey = keyof typeof en;

const fr: Record<MessageKey, string> = {
  "nav.search": "Recherche",
  "nav.dashboards": "Tableaux de bord",
  "nav.language": "Langue",
  "token.label": "Jeton d'API (une entrée [[tokens]] de loupe.toml)",
  "token.continue": "Continuer",
  "page.none": "Aucune page à {path}.",
  "search.run": "Rechercher",
  "search.cancel": "Annuler",
  "search.starting": "démarrage…",
  "search.error": "Erreur : {message}",
  "search.failed": "la recherche a échoué",
  "search.progress": "{state} · {matched} événements trouvés sur {scanned} lus · {done}/{total} compartiments · {secs} s",
  "search.stopped": " · arrêtée par {reason}",
  "search.placeholder": "Recherche : index=web status>=500 | stats count by host",
  "search.editor": "recherche SPL",
  "state.queued": "en attente",
  "state.running": "en cours",
  "state.done": "terminée",
  "state.failed": "en échec",
  "state.cancelled": "annulée",
  "time.range": "période",
  "time.last15m": "15 dernières minutes",
  "time.last60m": "60 dernières minutes",
  "time.last4h": "4 dernières heures",
  "time.last24h": "24 dernières heures",
  "time.today": "Aujourd'hui",
  "time.yesterday": "Hier",
  "time.last7d": "7 derniers jours",
  "time.prevweek": "Semaine précédente",
  "time.last30d": "30 derniers jours",
  "time.all": "Toute la période",
  "time.custom": "Personnalisée",
  "time.earliest": "début (-24h@h, 2026-03-02T10:00)",
  "time.latest": "fin (now)",
  "timeline.events": "événements",
  "fields.interesting": "Champs intéressants",
  "fields.other": "Autres champs",
  "events.fields": "champs",
  "events.filter": "clic : ajouter à la recherche ; Alt-clic : exclure",
  "dash.list.title": "Tableaux de bord",
  "dash.list.empty": "Aucun tableau de bord.",
  "dash.list.new": "Nouveau tableau de bord",
  "dash.list.panels": "{n} panneaux",
  "dash.list.managed": "géré par {file}",
  "dash.notfound": "Pas de tableau de bord {id} : {message}",
  "dash.edit": "Modifier",
  "dash.view": "Afficher",
  "dash.save": "Enregistrer",
  "dash.delete": "Supprimer",
  "dash.saved": "Enregistré.",
  "dash.refresh": "Actualiser",
  "dash.autorefresh": "actualisé toutes les {period}",
  "dash.asof": "au {time}",
  "dash.managed": "Géré par {file} : modifiez le fichier puis lancez loupe apply.",
  "dash.invalid": "Non enregistré : {message}",
  "dash.badjson": "JSON invalide : {message}",
  "dash.addpanel": "Ajouter un panneau",
  "dash.remove": "Retirer",
  "dash.up": "Monter",
  "dash.down": "Descendre",
  "dash.newpanel": "Nouveau panneau",
  "dash.all": "Tous",
  "panel.loading": "Chargement…",
  "panel.nodata": "Aucun résultat.",
  "panel.error": "Erreur : {message}",
  "panel.rows": "{n} lignes",
  "panel.trend.up": "▲ {delta} par rapport au précédent",
  "panel.trend.down": "▼ {delta} par rapport au précédent",
  "panel.trend.flat": "= inchangé",
  "status.ok": "exécuté sans erreur",
  "status.error": "en erreur",
  "status.missing": "non exécuté",
  "status.unknown": "inconnu",
};

export type Lang = "en" | "fr";
export const LANGS: Lang[] = ["en", "fr"];
const TABLES: Record<Lang, Record<MessageKey, string>> = { en, fr };
const LANG_KEY = "loupe.lang";

/** The language: the one chosen in the header, else the browser's first of ours. */
export function lang(): Lang {
  const kept = localStorage.getItem(LANG_KEY);
  if (kept === "en" || kept === "fr") return kept;
  for (const l of navigator.languages ?? [navigator.language]) {
    const base = l.slice(0, 2).toLowerCase();
    if (base === "fr" || base === "en") return base;
  }
  return "en";
}

export function setLang(l: Lang): void {
  localStorage.setItem(LANG_KEY, l);
  document.documentElement.lang = l;
}

/** The BCP 47 locale Intl formats with: the browser's own when it is of our language. */
export function locale(): string {
  const l = lang();
  const browser = navigator.language ?? "";
  if (browser.toLowerCase().startsWith(l)) return browser;
  return l === "fr" ? "fr-FR" : "en-GB";
}

/** The message `key` in the current language, with `{name}` replaced by `vars.name`. */
export function t(key: MessageKey, vars?: Record<string, string | number>): string {
  const text = TABLES[lang()][key] ?? en[key];
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

/** A number for the current locale (`1 234,5` in French). */
export function fmtNumber(n: number, maxFraction = 2): string {
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: maxFraction }).format(n);
}

/** A date and time for the current locale, in Europe/Paris (where Loupe's users are). */
export function fmtTime(t: number | string | Date, zone = "Europe/Paris"): string {
  const d = t instanceof Date ? t : typeof t === "number" ? new Date(t) : new Date(t);
  if (Number.isNaN(d.getTime())) return String(t);
  return new Intl.DateTimeFormat(locale(), { dateStyle: "short", timeStyle: "medium", timeZone: zone }).format(d);
}
