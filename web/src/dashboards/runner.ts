// Runs a panel's search through the jobs API and waits for its end. Identical searches of one
// refresh (panels sharing a base search and post-process, inputs) share one job.

import { api, Page } from "../api";

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

async function runOnce(spec: SearchSpec, running: Set<string>): Promise<Page> {
  const { sid } = await api.startJob(spec.query, spec.earliest, spec.latest, {
    now: spec.now,
    maxCount: spec.events ? (spec.count ?? 100) : 10000,
  });
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
  return spec.events ? api.events(sid, 0, spec.count ?? 100) : api.results(sid, 0, spec.count ?? 10000);
}

/** One refresh's searches: the same spec asked twice runs once. */
export class SearchCache {
  private jobs = new Map<string, Promise<Page>>();
  private running = new Set<string>();

  /** Cancels the jobs still running (a newer refresh replaces them). */
  cancel(): void {
    for (const sid of this.running) api.cancel(sid).catch(() => {});
    this.running.clear();
  }

  run(spec: SearchSpec): Promise<Page> {
    const key = JSON.stringify([spec.query, spec.earliest, spec.latest, spec.now, !!spec.events, spec.count ?? 0]);
    let p = this.jobs.get(key);
    if (!p) {
      p = runOnce(spec, this.running);
      this.jobs.set(key, p);
    }
    return p;
  }
}
