// The typed client of Loupe's HTTP API (docs/api.md): the only module that calls fetch.

import { DISPLAY_ZONE } from "./i18n";

export interface Diagnostic {
  start: number;
  end: number;
  severity: "error" | "warning";
  message: string;
}

export interface ParseReport {
  ok: boolean;
  diagnostics: Diagnostic[];
  fields: string[];
  commands: string[];
  functions: string[];
  stats_functions: string[];
}

export type JobState = "queued" | "running" | "done" | "failed" | "cancelled";

export interface JobStatus {
  sid: string;
  state: JobState;
  progress: { buckets_done: number; buckets_total: number; scanned: number; matched: number };
  elapsed_ms: number;
  error?: string;
  stopped_by?: string;
  result_count?: number;
  event_count?: number;
}

export type Row = Record<string, unknown>;

export interface Page {
  columns: string[];
  rows: Row[];
  offset: number;
  total: number;
  preview: boolean;
}

export interface Timeline {
  span: number;
  buckets: { time: string; count: number }[];
}

export interface FieldStats {
  count: number;
  coverage: number;
  distinct: number;
  top: { value: string; count: number }[];
}

export interface Summary {
  events: number;
  fields: Record<string, FieldStats>;
}

export class ApiError extends Error {
  constructor(
    public status: number,
    message: string,
    public span?: { start: number; end: number },
    /** The answer's other keys (`panel` of a refused dashboard, `managed_by`). */
    public body?: Record<string, unknown>,
  ) {
    super(message);
  }
}

// Dashboards (docs/dashboards.md): the same shape as the server's `loupe_meta::Dashboard`.
export type InputKind = "time" | "dropdown" | "multiselect" | "text";
export interface Choice {
  label: string;
  value: string;
}
export interface Input {
  token: string;
  type: InputKind;
  label?: string;
  default?: string;
  defaults?: string[];
  earliest?: string;
  latest?: string;
  choices?: Choice[];
  search?: string;
  value_field?: string;
  label_field?: string;
  prefix?: string;
  suffix?: string;
  delimiter?: string;
}
export interface BaseSearch {
  query: string;
  earliest?: string;
  latest?: string;
}
export type PanelKind = "timechart" | "chart" | "single" | "table" | "events" | "status";
export type ChartKind = "line" | "area" | "column" | "bar" | "pie";
export interface Grid {
  x: number;
  y: number;
  w: number;
  h: number;
}
export interface PanelOptions {
  field?: string;
  unit?: string;
  status_field?: string;
  label_field?: string;
  detail_fields?: string[];
  stacked?: boolean;
  count?: number;
}
export interface Drilldown {
  search?: string;
  dashboard?: string;
  url?: string;
  earliest?: string;
  latest?: string;
  tokens?: Record<string, string>;
}
export interface Panel {
  title: string;
  type: PanelKind;
  query: string;
  base?: string;
  earliest?: string;
  latest?: string;
  grid?: Grid;
  chart?: ChartKind;
  options?: PanelOptions;
  drilldown?: Drilldown;
}
export interface Dashboard {
  id: string;
  title: string;
  description?: string;
  refresh?: string;
  inputs?: Input[];
  searches?: Record<string, BaseSearch>;
  panels: Panel[];
  /** Set by the server when a file of `loupe apply` owns it (never sent back). */
  managed_by?: string;
}

export interface JobOptions {
  /** The instant relative times count from (a dashboard shown as of a past day). */
  now?: string;
  maxCount?: number;
}

const TOKEN_KEY = "loupe.token";

/**
 * The API token: from `?token=…` (what `make demo` prints) or `#token=…`, taken out of the
 * address bar at once and kept in the tab's sessionStorage (gone with the tab); else the one
 * kept from before in this tab.
 */
export function token(): string | null {
  const url = new URL(location.href);
  const fromHash = url.hash.match(/token=([^&]+)/);
  const given = url.searchParams.get("token") ?? (fromHash ? decodeURIComponent(fromHash[1]) : null);
  if (given !== null) {
    url.searchParams.delete("token");
    if (fromHash) url.hash = "";
    sessionStorage.setItem(TOKEN_KEY, given);
    history.replaceState(history.state, "", url.pathname + url.search + url.hash);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(t: string): void {
  sessionStorage.setItem(TOKEN_KEY, t);
}

function authHeaders(): Record<string, string> {
  const t = token();
  return t ? { Authorization: `Bearer ${t}` } : {};
}

/** Who the console acts as (`/api/v1/me`). */
export interface Me {
  user: string;
  role: string;
  capabilities: string[];
}

/**
 * Calls that decide whether anyone is signed in: a 401 is their answer, not a reason to
 * reload (the browser session travels as an HttpOnly cookie, never seen by this code).
 */
async function plain<T>(method: string, path: string, body?: unknown): Promise<T> {
  const r = await fetch(path, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await bodyOf(r);
  if (!r.ok) throw new ApiError(r.status, json?.error ?? r.statusText, undefined, json ?? undefined);
  return json as T;
}

/** An answer's JSON body; a body that is not JSON stands as `{error: text}`. */
async function bodyOf(r: Response): Promise<any> {
  const text = await r.text();
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return { error: text };
  }
}

/** Requests carry the tab's API token when it has one, else the session cookie. */
async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers = authHeaders();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await bodyOf(r);
  // A token the server does not know: forgotten, so the page asks for one again.
  if (r.status === 401 || (r.status === 403 && json?.error === "invalid token")) {
    sessionStorage.removeItem(TOKEN_KEY);
    location.reload();
  }
  if (!r.ok) throw new ApiError(r.status, json?.error ?? r.statusText, json?.span, json ?? undefined);
  return json as T;
}

// Saved searches and alerts (docs/api.md, docs/alerts.md): loupe_meta::SavedSearch.
export type Relation = "greater_than" | "less_than" | "equal_to" | "not_equal_to" | "rises_by" | "drops_by";
export type Condition =
  | { type: "always" }
  | { type: "no_data" }
  | { type: "results" | "hosts" | "sources"; relation: Relation; quantity: number }
  | { type: "where"; expr: string };
export type Action = { type: string } & Record<string, unknown>;
export interface Alert {
  condition: Condition;
  mode?: "digest" | "per_result";
  throttle?: string;
  throttle_fields?: string[];
  severity?: "info" | "low" | "medium" | "high" | "critical";
  notify_resolved?: boolean;
  actions: Action[];
}
export interface SavedSearch {
  name: string;
  query: string;
  description?: string;
  earliest?: string;
  latest?: string;
  cron?: string;
  timezone?: string;
  enabled?: boolean;
  schedule_window?: string;
  catch_up?: string;
  keep_runs?: number;
  alert?: Alert;
  /** Set by the server when a file of `loupe apply` owns it (never sent back). */
  managed_by?: string;
}
/** One run of a saved search (`/saved-searches/{name}/runs`). */
export interface Run {
  search: string;
  sid: string;
  scheduled_ns: number | null;
  started_ns: number;
  duration_ms: number;
  result_count: number;
  fired: boolean;
  error: string | null;
  results: Row[] | null;
}
/** The record of a run started from the console (`/run?trigger_actions=true`). */
export interface RunRecord {
  search_name: string;
  sid: string;
  status: "success" | "failed" | "skipped";
  result_count?: number;
  fired?: boolean;
  error?: string;
}
/** One firing of an alert (`/alerts/fired`). */
export interface Firing {
  search_name: string;
  sid: string;
  trigger_time: string;
  scheduled_time?: string;
  severity?: string;
  resolved?: boolean;
  result_count?: number;
  results?: Row[];
  results_link?: string;
}

// Roles (docs/security.md, docs/api.md "Roles"): a `[roles.NAME]` table of loupe.toml, as the
// server's `loupe_access::RoleConfig`, and what `/api/v1/roles` adds to it.
/** Where a role is defined: built in, `[roles.NAME]` of loupe.toml, or made through the API. */
export type RoleOrigin = "builtin" | "config" | "api";
/** The keys a role is made of (what `POST`/`PUT /api/v1/roles` take). */
export interface RoleTable {
  indexes_allowed?: string[];
  indexes_denied?: string[];
  /** Absent: every allowed index. */
  default_indexes?: string[] | null;
  /** An SPL search expression ANDed into every search of the role. */
  search_filter?: string | null;
  /** `7d`, `12h`, `30m`. */
  max_time_window?: string | null;
  mask?: string[];
  capabilities?: string[];
  /** Absent: every table when the role reads every index, none otherwise. */
  lookups?: string[] | null;
}
export interface Role extends RoleTable {
  name: string;
  origin: RoleOrigin;
  /** Only API roles are changed through the API. */
  editable: boolean;
  /** The users of meta.sqlite who hold it. */
  users?: string[];
  /** The `[[ldap.roles]]` groups given it. */
  ldap_groups?: string[];
}

/** An event's neighbours in its stream (`/api/v1/context`), each list oldest first. */
export interface Context {
  before: Row[];
  at: Row[];
  after: Row[];
}

export interface TailHandlers {
  onEvents: (rows: Row[]) => void;
  onStatus?: (s: { limited?: boolean }) => void;
  onError: (message: string) => void;
}

/**
 * Follows `/api/v1/tail` (server-sent events) through fetch, so the token goes in the header as
 * for every other call (EventSource cannot send one). The returned function stops it.
 */
function tail(query: string, h: TailHandlers, backlog = 20): () => void {
  const abort = new AbortController();
  const params = new URLSearchParams({ query, backlog: String(backlog) });
  (async () => {
    const r = await fetch(`/api/v1/tail?${params}`, { headers: authHeaders(), signal: abort.signal });
    if (!r.ok || !r.body) {
      const text = await r.text();
      let message = r.statusText;
      try {
        message = JSON.parse(text).error ?? message;
      } catch {
        /* not JSON: the status says it */
      }
      h.onError(message);
      return;
    }
    const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let name = "message";
        const data: string[] = [];
        for (const line of block.split("\n")) {
          if (line.startsWith("event:")) name = line.slice(6).trim();
          else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
        }
        if (data.length === 0) continue;
        const json = JSON.parse(data.join("\n"));
        if (name === "events") h.onEvents(json as Row[]);
        else if (name === "status") h.onStatus?.(json);
        else if (name === "error") h.onError(String(json.error));
      }
    }
  })().catch((e) => {
    if (!abort.signal.aborted) h.onError(String(e));
  });
  return () => abort.abort();
}

/** Downloads `/api/v1/export` as a file (through fetch: the token goes in the header). */
async function download(query: string, earliest: string, latest: string, output: "csv" | "ndjson"): Promise<void> {
  const params = new URLSearchParams({ query, output, timezone: DISPLAY_ZONE });
  if (earliest) params.set("earliest", earliest);
  if (latest) params.set("latest", latest);
  const r = await fetch(`/api/v1/export?${params}`, { headers: authHeaders() });
  if (!r.ok) {
    const text = await r.text();
    let message = r.statusText;
    try {
      message = JSON.parse(text).error ?? message;
    } catch {
      /* not JSON */
    }
    throw new ApiError(r.status, message);
  }
  const blob = await r.blob();
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = `loupe-export.${output === "csv" ? "csv" : "ndjson"}`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 60000);
}

const enc = encodeURIComponent;

export const api = {
  me: () => plain<Me>("GET", "/api/v1/me"),
  /** `/api/v1/me` as the tab's API token (`me` is the browser session's); a token the server
   * refuses is forgotten at once (see `call`). */
  whoami: () => call<Me>("GET", "/api/v1/me"),
  login: (user: string, password: string) => plain<{ user: string; role: string }>("POST", "/api/v1/login", { user, password }),
  logout: () => plain<unknown>("POST", "/api/v1/logout"),
  setup: (setupToken: string, user: string, password: string) =>
    plain<unknown>("POST", "/api/v1/setup", { token: setupToken, user, password }),
  tail,
  download,
  context: (row: Row, before = 10, after = 10) =>
    call<Context>(
      "GET",
      `/api/v1/context?${new URLSearchParams({
        index: String(row["index"] ?? ""),
        host: String(row["host"] ?? ""),
        source: String(row["source"] ?? ""),
        time: String(row["_time"] ?? ""),
        before: String(before),
        after: String(after),
      })}`,
    ),
  savedSearches: () => call<{ saved_searches: SavedSearch[] }>("GET", "/api/v1/saved-searches"),
  savedSearch: (name: string) => call<SavedSearch>("GET", `/api/v1/saved-searches/${enc(name)}`),
  createSaved: (s: SavedSearch) =>
    call<{ saved_search: SavedSearch; warnings: string[] }>("POST", "/api/v1/saved-searches", s),
  updateSaved: (name: string, s: SavedSearch) =>
    call<{ saved_search: SavedSearch; warnings: string[] }>("PUT", `/api/v1/saved-searches/${enc(name)}`, s),
  deleteSaved: (name: string) => call<null>("DELETE", `/api/v1/saved-searches/${enc(name)}`),
  runSaved: (name: string) => call<RunRecord>("POST", `/api/v1/saved-searches/${enc(name)}/run?trigger_actions=true`),
  runs: (name: string) => call<{ runs: Run[] }>("GET", `/api/v1/saved-searches/${enc(name)}/runs`),
  fired: () => call<{ fired: Firing[] }>("GET", "/api/v1/alerts/fired"),
  parse: (query: string) => call<ParseReport>("POST", "/api/v1/parse", { query }),
  startJob: (query: string, earliest?: string, latest?: string, opts: JobOptions = {}) =>
    call<{ sid: string }>("POST", "/api/v1/jobs", {
      query,
      earliest: earliest || undefined,
      latest: latest || undefined,
      max_count: opts.maxCount ?? 10000,
      now: opts.now || undefined,
      timezone: DISPLAY_ZONE,
    }),
  job: (sid: string) => call<JobStatus>("GET", `/api/v1/jobs/${encodeURIComponent(sid)}`),
  cancel: (sid: string) => call<JobStatus>("DELETE", `/api/v1/jobs/${encodeURIComponent(sid)}`),
  results: (sid: string, offset: number, count: number) =>
    call<Page>("GET", `/api/v1/jobs/${encodeURIComponent(sid)}/results?offset=${offset}&count=${count}`),
  events: (sid: string, offset: number, count: number) =>
    call<Page>("GET", `/api/v1/jobs/${encodeURIComponent(sid)}/events?offset=${offset}&count=${count}`),
  timeline: (sid: string) => call<Timeline>("GET", `/api/v1/jobs/${encodeURIComponent(sid)}/timeline`),
  summary: (sid: string) => call<Summary>("GET", `/api/v1/jobs/${encodeURIComponent(sid)}/summary`),
  postprocess: (sid: string, query: string, count = 10000) =>
    call<Page>("POST", `/api/v1/jobs/${encodeURIComponent(sid)}/postprocess`, { query, count }),
  dashboards: () => call<{ dashboards: Dashboard[] }>("GET", "/api/v1/dashboards"),
  dashboard: (id: string) => call<Dashboard>("GET", `/api/v1/dashboards/${encodeURIComponent(id)}`),
  createDashboard: (d: Dashboard) =>
    call<{ dashboard: Dashboard; warnings: string[] }>("POST", "/api/v1/dashboards", d),
  updateDashboard: (id: string, d: Dashboard) =>
    call<{ dashboard: Dashboard; warnings: string[] }>("PUT", `/api/v1/dashboards/${encodeURIComponent(id)}`, d),
  deleteDashboard: (id: string) => call<null>("DELETE", `/api/v1/dashboards/${encodeURIComponent(id)}`),
  roles: () => call<{ roles: Role[] }>("GET", "/api/v1/roles"),
  createRole: (name: string, r: RoleTable) => call<Role>("POST", "/api/v1/roles", { name, ...r }),
  updateRole: (name: string, r: RoleTable) => call<Role>("PUT", `/api/v1/roles/${enc(name)}`, r),
  deleteRole: (name: string) => call<null>("DELETE", `/api/v1/roles/${enc(name)}`),
};
