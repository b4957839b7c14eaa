// The typed client of Loupe's HTTP API (docs/api.md): the only module that calls fetch.

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

/** The API token: from `#token=…` (what `make demo` prints), else the one kept from before. */
export function token(): string | null {
  const m = location.hash.match(/token=([^&]+)/);
  if (m) {
    localStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
  return localStorage.getItem(TOKEN_KEY);
}

export function setToken(t: string): void {
  localStorage.setItem(TOKEN_KEY, t);
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Authorization: `Bearer ${token() ?? ""}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  let json: any = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = { error: text };
  }
  if (!r.ok) throw new ApiError(r.status, json?.error ?? r.statusText, json?.span, json ?? undefined);
  return json as T;
}

export const api = {
  parse: (query: string) => call<ParseReport>("POST", "/api/v1/parse", { query }),
  startJob: (query: string, earliest?: string, latest?: string, opts: JobOptions = {}) =>
    call<{ sid: string }>("POST", "/api/v1/jobs", {
      query,
      earliest: earliest || undefined,
      latest: latest || undefined,
      max_count: opts.maxCount ?? 10000,
      now: opts.now || undefined,
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
};
