// The dashboards list (`/dashboards`): title, description, panels, the file managing each.

import { api } from "../api";
import { t } from "../i18n";

export async function dashboardsList(root: HTMLElement): Promise<void> {
  const h = document.createElement("h1");
  h.textContent = t("dash.list.title");
  const add = document.createElement("a");
  add.className = "button";
  add.textContent = t("dash.list.new");
  add.href = "/dashboards/new-dashboard?edit=1";
  const head = document.createElement("div");
  head.className = "dash-head";
  head.append(h, add);
  root.append(head);
  const list = document.createElement("ul");
  list.className = "dash-list";
  list.dataset.testid = "dash-list";
  root.append(list);
  let all;
  try {
    all = (await api.dashboards()).dashboards;
  } catch (e) {
    list.append(document.createTextNode((e as Error).message));
    return;
  }
  if (all.length === 0) {
    const p = document.createElement("p");
    p.textContent = t("dash.list.empty");
    root.append(p);
  }
  for (const d of all) {
    const li = document.createElement("li");
    li.dataset.id = d.id;
    const a = document.createElement("a");
    a.href = `/dashboards/${encodeURIComponent(d.id)}`;
    a.textContent = d.title;
    const meta = document.createElement("span");
    meta.className = "field-meta";
    const bits = [t("dash.list.panels", { n: d.panels.length })];
    if (d.managed_by) bits.push(t("dash.list.managed", { file: d.managed_by }));
    meta.textContent = ` ${bits.join(" · ")}`;
    li.append(a, meta);
    if (d.description) {
      const p = document.createElement("p");
      p.textContent = d.description;
      li.append(p);
    }
    list.append(li);
  }
}
