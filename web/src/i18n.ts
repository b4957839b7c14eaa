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
  "nav.saved": "Saved searches",
  "nav.alerts": "Alerts",
  "alerts.fired": "Firings",
  "alerts.name": "Alert",
  "alerts.new": "New alert",
  "alerts.nofirings": "No firing yet.",
  "alerts.resolved": "resolved",
  "alerts.severity": "Severity",
  "alerts.time": "Fired at",
  "alerts.title": "Alerts",
  "context.close": "Close",
  "context.n": "{n} before and after",
  "context.size": "events around",
  "context.title": "Context",
  "context.where": "Same index {index}, host {host} and source {source}, whatever the search filtered.",
  "events.context": "context",
  "export.csv": "Export CSV",
  "export.ndjson": "Export NDJSON",
  "history.detail": "recent search",
  "history.label": "Recent searches",
  "results.sort": "Sort by this column (again: the other way)",
  "save.alert": "Save as alert",
  "save.saved": "Save as saved search",
  "save.condition": "Fires when the results are more than",
  "save.cron": "Schedule (cron)",
  "save.cron.hint": "*/15 * * * * (empty: not scheduled)",
  "save.done": "Saved as {name}: see the list",
  "save.name": "Name",
  "save.panel": "Save as dashboard panel",
  "save.panel.new": "New dashboard…",
  "save.panel.id": "New dashboard's id",
  "save.panel.dashtitle": "New dashboard's title",
  "save.panel.dashboard": "Dashboard",
  "save.panel.title": "Panel title",
  "save.panel.type": "Panel type",
  "save.panel.chart": "Chart",
  "save.panel.kind.events": "Events",
  "save.panel.kind.table": "Table",
  "save.panel.kind.timechart": "Time chart",
  "save.panel.kind.chart": "Chart",
  "save.panel.kind.single": "Single value",
  "save.panel.done": "Panel {title} added: open the dashboard",
  "save.throttle": "At most once every",
  "save.webhook": "Webhook URL (optional)",
  "saved.alert": "Alert (JSON: condition, throttle, actions)",
  "saved.deleted": "Deleted {name}.",
  "saved.description": "Description",
  "saved.disable": "Disable",
  "saved.enable": "Enable",
  "saved.enabled": "Enabled",
  "saved.empty": "Nothing saved yet.",
  "saved.history": "Run history",
  "saved.new": "New saved search",
  "saved.noruns": "No run yet.",
  "saved.open": "Open in search",
  "saved.ran": "{name} ran.",
  "saved.run.duration": "Duration",
  "saved.run.error": "Error",
  "saved.run.fired": "Fired",
  "saved.run.link": "Results",
  "saved.run.results": "Results",
  "saved.run.time": "Started",
  "saved.runnow": "Run now",
  "saved.schedule": "{cron} ({zone})",
  "saved.title": "Saved searches",
  "saved.unscheduled": "not scheduled",
  "saved.yes": "yes",
  "saved.zone": "Time zone",
  "tab.events": "Events",
  "tab.stats": "Statistics",
  "tab.tail": "Live tail",
  "tab.viz": "Visualization",
  "tail.count": "{n} events since the tail began",
  "tail.dropped": " · {n} not shown (paused too long)",
  "tail.limited": "More events than a tail shows: some were skipped",
  "tail.pause": "Pause",
  "tail.paused": "Paused: {n} events held",
  "tail.resume": "Resume",
  "tail.start": "Live tail",
  "tail.waiting": "Waiting for new events…",
  "viz.kind": "Chart type",
  "viz.column": "Column",
  "viz.line": "Line",
  "viz.area": "Area",
  "viz.bar": "Bar",
  "viz.pie": "Pie",
  "viz.single": "Single value",
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
  "nav.saved": "Recherches enregistrées",
  "nav.alerts": "Alertes",
  "alerts.fired": "Déclenchements",
  "alerts.name": "Alerte",
  "alerts.new": "Nouvelle alerte",
  "alerts.nofirings": "Aucun déclenchement.",
  "alerts.resolved": "résolue",
  "alerts.severity": "Gravité",
  "alerts.time": "Déclenchée le",
  "alerts.title": "Alertes",
  "context.close": "Fermer",
  "context.n": "{n} avant et après",
  "context.size": "événements autour",
  "context.title": "Contexte",
  "context.where": "Même index {index}, hôte {host} et source {source}, quels que soient les filtres de la recherche.",
  "events.context": "contexte",
  "export.csv": "Exporter en CSV",
  "export.ndjson": "Exporter en NDJSON",
  "history.detail": "recherche récente",
  "history.label": "Recherches récentes",
  "results.sort": "Trier par cette colonne (encore : dans l'autre sens)",
  "save.alert": "Enregistrer comme alerte",
  "save.saved": "Enregistrer la recherche",
  "save.condition": "Se déclenche quand les résultats dépassent",
  "save.cron": "Planification (cron)",
  "save.cron.hint": "*/15 * * * * (vide : non planifiée)",
  "save.done": "Enregistrée sous {name} : voir la liste",
  "save.name": "Nom",
  "save.panel": "Ajouter à un tableau de bord",
  "save.panel.new": "Nouveau tableau de bord…",
  "save.panel.id": "Identifiant du nouveau tableau",
  "save.panel.dashtitle": "Titre du nouveau tableau",
  "save.panel.dashboard": "Tableau de bord",
  "save.panel.title": "Titre du panneau",
  "save.panel.type": "Type de panneau",
  "save.panel.chart": "Graphique",
  "save.panel.kind.events": "Événements",
  "save.panel.kind.table": "Tableau",
  "save.panel.kind.timechart": "Courbe temporelle",
  "save.panel.kind.chart": "Graphique",
  "save.panel.kind.single": "Valeur unique",
  "save.panel.done": "Panneau {title} ajouté : ouvrir le tableau de bord",
  "save.throttle": "Au plus une fois toutes les",
  "save.webhook": "URL de webhook (facultative)",
  "saved.alert": "Alerte (JSON : condition, throttle, actions)",
  "saved.deleted": "{name} supprimée.",
  "saved.description": "Description",
  "saved.disable": "Désactiver",
  "saved.enable": "Activer",
  "saved.enabled": "Activée",
  "saved.empty": "Rien d'enregistré.",
  "saved.history": "Historique des exécutions",
  "saved.new": "Nouvelle recherche enregistrée",
  "saved.noruns": "Aucune exécution.",
  "saved.open": "Ouvrir dans la recherche",
  "saved.ran": "{name} exécutée.",
  "saved.run.duration": "Durée",
  "saved.run.error": "Erreur",
  "saved.run.fired": "Déclenchée",
  "saved.run.link": "Résultats",
  "saved.run.results": "Résultats",
  "saved.run.time": "Démarrée le",
  "saved.runnow": "Exécuter maintenant",
  "saved.schedule": "{cron} ({zone})",
  "saved.title": "Recherches enregistrées",
  "saved.unscheduled": "non planifiée",
  "saved.yes": "oui",
  "saved.zone": "Fuseau horaire",
  "tab.events": "Événements",
  "tab.stats": "Statistiques",
  "tab.tail": "Suivi en direct",
  "tab.viz": "Visualisation",
  "tail.count": "{n} événements depuis le début du suivi",
  "tail.dropped": " · {n} non affichés (pause trop longue)",
  "tail.limited": "Plus d'événements qu'un suivi n'en montre : certains sont sautés",
  "tail.pause": "Pause",
  "tail.paused": "En pause : {n} événements en attente",
  "tail.resume": "Reprendre",
  "tail.start": "Suivi en direct",
  "tail.waiting": "En attente de nouveaux événements…",
  "viz.kind": "Type de graphique",
  "viz.column": "Colonnes",
  "viz.line": "Courbe",
  "viz.area": "Aires",
  "viz.bar": "Barres",
  "viz.pie": "Secteurs",
  "viz.single": "Valeur unique",
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

/** The browser's own time zone. */
export function browserZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** One formatter per zone: making one costs more than formatting thousands of dates with it. */
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat(locale(), { dateStyle: "short", timeStyle: "medium", timeZone: zone });
    formatters.set(zone, f);
  }
  return f;
}

/** A date and time for the current locale, in Europe/Paris (where Loupe's users are). */
/** The zone the console shows times in, and in which its searches snap `@d` and bin days. */
export const DISPLAY_ZONE = "Europe/Paris";

export function fmtTime(t: number | string | Date, zone = DISPLAY_ZONE): string {
  const d = t instanceof Date ? t : typeof t === "number" ? new Date(t) : new Date(t);
  if (Number.isNaN(d.getTime())) return String(t);
  return formatter(zone).format(d);
}
