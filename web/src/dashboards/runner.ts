// Runs a panel's search through the jobs API and waits for its end. Identical searches of one
// refresh share one job; panels on one base search (same range) run it once and each
// post-processes its answer on the server (`/jobs/{sid}/postprocess`), falling back to running
// `base | post-process` as a job of its own when the base's answer was cut at its row cap.

import { api, ApiError, Page } from "../api";

export interface SearchSpec {
  query: string;
  earliest: string;
  latest: string;
  /** The instant relative times count from (`?now=` of the page); empty = now. */
  now: string;
  /** Events rather than result rows (events panels). */
  events?: boolean;
  count?: number;
}

const POLL_MS = 200;

/** The most rows a base search's job keeps (the API's cap): its answer is what panels post-process. */
const BASE_ROWS = 50000;

async function finished(spec: SearchSpec, running: Set<string>, maxCount: number): Promise<string> {
  const { sid } = await api.startJob(spec.query, spec.earliest, spec.latest, { now: spec.now, maxCount });
  running.add(sid);
  try {
    for (;;) {
      const s = await api.job(sid);
      if (s.state === "done") break;
      if (s.state === "failed" || s.state === "cancelled") throw new Error(s.error ?? s.state);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  } finally {
    running.delete(sid);
  }
  return sid;
}

async function runOnce(spec: SearchSpec, running: Set<string>): Promise<Page> {
  const sid = await finished(spec, running, spec.events ? (spec.count ?? 100) : 10000);
  if (!spec.events) return api.results(sid, 0, spec.count ?? 10000);
  // A pipeline after the events (`| search …`, `| head`) answers them as result rows.
  const events = await api.events(sid, 0, spec.count ?? 100);
  return events.rows.length > 0 ? events : api.results(sid, 0, spec.count ?? 100);
}

const keyOf = (spec: SearchSpec) =>
  JSON.stringify([spec.query, spec.earliest, spec.latest, spec.now, !!spec.events, spec.count ?? 0]);

/** One refresh's searches: the same spec asked twice runs once. */
export class SearchCache {
  private jobs = new Map<string, Promise<Page>>();
  private running = new Set<string>();

  /** Cancels the jobs still running (a newer refresh replaces them). */
  cancel(): void {
    for (const sid of this.running) api.cancel(sid).catch(() => {});
    this.running.clear();
  }

  private bases = new Map<string, Promise<string>>();

  /** `post` over the answer of the base search `base` (run once for every panel on it). */
  async post(base: SearchSpec, post: string, joined: string): Promise<Page> {
    const key = keyOf(base);
    let sid = this.bases.get(key);
    if (!sid) {
      sid = finished(base, this.running, BASE_ROWS);
      this.bases.set(key, sid);
    }
    try {
      return await api.postprocess(await sid, post);
    } catch (e) {
      // A cut answer cannot be post-processed: the panel runs its whole search itself.
      if (e instanceof ApiError && e.status === 409) return this.run({ ...base, query: joined });
      throw e;
    }
  }

  run(spec: SearchSpec): Promise<Page> {
    const key = keyOf(spec);
    let p = this.jobs.get(key);
    if (!p) {
      p = runOnce(spec, this.running);
      this.jobs.set(key, p);
    }
    return p;
  }
}
