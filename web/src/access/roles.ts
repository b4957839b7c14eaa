// The roles page (`/roles`, for a principal with capability `admin`, as `/api/v1/roles` asks):
// every role with where it is defined, what it reads (indexes allowed and denied, default
// indexes, row filter, time window), how it sees it (maskers), what it may do (capabilities,
// lookup tables) and who holds it; a form makes and changes the roles of the API, and a role is
// deleted after a second click. Built-in roles and those of loupe.toml are shown read-only, with
// why. What the server refuses (a bad row filter, a role still held) is shown as it says it.
// Every name and value is set as text.

import { api, ApiError, Role, RoleTable } from "../api";
import { el } from "../charts";
import { MessageKey, t } from "../i18n";

/** The built-in maskers and capabilities (crates/loupe-access: `mask::Builtin`, `role::Capability`). */
const MASKERS = ["fr_nir", "email", "iban", "credit_card", "phone_fr", "ipv4"];
const CAPABILITIES = ["search", "export", "outputlookup", "schedule", "apply", "erase", "admin"];

const ORIGIN: Record<Role["origin"], MessageKey> = {
  builtin: "roles.origin.builtin",
  config: "roles.origin.config",
  api: "roles.origin.api",
};

/** A list as small labels, or `empty` in grey. */
function chips(list: string[] | null | undefined, empty: string, cls = "chip"): HTMLElement {
  const box = el("span", "chips");
  if (!list || list.length === 0) box.append(el("span", "muted", empty));
  else for (const v of list) box.append(el("span", cls, v));
  return box;
}

function cell(content: HTMLElement | string, field?: string): HTMLTableCellElement {
  const td = el("td");
  if (field) td.dataset.field = field;
  if (typeof content === "string") td.textContent = content;
  else td.append(content);
  return td;
}

/** `web, app*  _audit` → `["web", "app*", "_audit"]`. */
function words(s: string): string[] {
  return s.split(/[\s,]+/).filter((w) => w !== "");
}

function field(label: string, control: HTMLElement, hint?: string): HTMLLabelElement {
  const l = el("label", "form-field");
  l.append(el("span", "input-label", label), control);
  if (hint) l.append(el("span", "field-hint", hint));
  return l;
}

function textInput(name: string, value: string | null | undefined, placeholder = ""): HTMLInputElement {
  const i = el("input");
  i.name = name;
  i.value = value ?? "";
  i.placeholder = placeholder;
  i.autocomplete = "off";
  return i;
}

/** Checkboxes of `known` (and of any other value the role holds, so none is dropped on save). */
function checks(name: string, known: string[], chosen: string[] | undefined): [HTMLElement, () => string[]] {
  const box = el("div", "checks");
  box.dataset.field = name;
  const inputs: HTMLInputElement[] = [];
  for (const v of [...new Set([...known, ...(chosen ?? [])])]) {
    const l = el("label", "check");
    const i = el("input");
    i.type = "checkbox";
    i.name = name;
    i.value = v;
    i.checked = (chosen ?? []).includes(v);
    inputs.push(i);
    l.append(i, el("span", undefined, v));
    box.append(l);
  }
  return [box, () => inputs.filter((i) => i.checked).map((i) => i.value)];
}

/**
 * A list that may be absent (the server's default) or given (possibly empty, which differs:
 * `lookups = []` is no table at all): a choice of the two, and the list when given.
 */
function optionalList(name: string, value: string[] | null | undefined, absent: MessageKey, given: MessageKey): [HTMLElement, () => string[] | undefined] {
  const box = el("div", "optional-list");
  const mode = el("select");
  mode.name = `${name}_mode`;
  for (const [v, key] of [["default", absent], ["list", given]] as const) {
    const o = el("option", undefined, t(key));
    o.value = v;
    mode.append(o);
  }
  const has = value !== null && value !== undefined;
  mode.value = has ? "list" : "default";
  const list = textInput(name, has ? value.join(", ") : "");
  const sync = () => (list.disabled = mode.value === "default");
  mode.onchange = sync;
  sync();
  box.append(mode, list);
  return [box, () => (mode.value === "list" ? words(list.value) : undefined)];
}

/** The form of a new role (`role` null) or of an API role's change. */
function roleForm(role: Role | null, done: (message: string) => void, cancel: () => void): HTMLFormElement {
  const form = el("form", "role-form");
  form.dataset.testid = "role-form";
  form.noValidate = true;
  form.append(el("h2", undefined, role ? t("roles.edit.title", { name: role.name }) : t("roles.new")));
  const name = textInput("name", role?.name, "helpdesk");
  name.disabled = role !== null;
  const allowed = textInput("indexes_allowed", role?.indexes_allowed?.join(", "), "web, app*, _audit");
  const denied = textInput("indexes_denied", role?.indexes_denied?.join(", "));
  const [defaults, readDefaults] = optionalList("default_indexes", role?.default_indexes, "roles.default.all", "roles.default.these");
  const filter = textInput("search_filter", role?.search_filter, "ward=3 NOT status=vip");
  filter.className = "mono";
  const span = textInput("max_time_window", role?.max_time_window, "7d");
  const [masks, readMasks] = checks("mask", MASKERS, role?.mask);
  const [caps, readCaps] = checks("capabilities", CAPABILITIES, role ? role.capabilities : ["search"]);
  const [lookups, readLookups] = optionalList("lookups", role?.lookups, "roles.lookups.default", "roles.lookups.these");
  const grid = el("div", "role-grid");
  grid.append(
    field(t("roles.col.name"), name, role ? t("roles.hint.rename") : t("roles.hint.name")),
    field(t("roles.col.allowed"), allowed, t("roles.hint.indexes")),
    field(t("roles.col.denied"), denied, t("roles.hint.denied")),
    field(t("roles.col.defaults"), defaults),
    field(t("roles.col.filter"), filter, t("roles.hint.filter")),
    field(t("roles.col.window"), span, t("roles.hint.window")),
    field(t("roles.col.masks"), masks),
    field(t("roles.col.capabilities"), caps),
    field(t("roles.col.lookups"), lookups),
  );
  const error = el("p", "form-error");
  error.dataset.testid = "role-form-error";
  error.setAttribute("role", "alert");
  const save = el("button", "primary", role ? t("roles.save") : t("roles.create"));
  save.type = "submit";
  save.dataset.testid = "role-save";
  const back = el("button", undefined, t("roles.cancel"));
  back.type = "button";
  back.onclick = cancel;
  const buttons = el("div", "save-buttons");
  buttons.append(save, back);
  form.append(grid, error, buttons);
  form.onsubmit = async (e) => {
    e.preventDefault();
    const table: RoleTable = {
      indexes_allowed: words(allowed.value),
      indexes_denied: words(denied.value),
      default_indexes: readDefaults(),
      search_filter: filter.value.trim() || undefined,
      max_time_window: span.value.trim() || undefined,
      mask: readMasks(),
      capabilities: readCaps(),
      lookups: readLookups(),
    };
    form.dataset.state = "working";
    error.textContent = "";
    save.disabled = true;
    try {
      if (role) {
        await api.updateRole(role.name, table);
        done(t("roles.saved", { name: role.name }));
      } else {
        await api.createRole(name.value.trim(), table);
        done(t("roles.created", { name: name.value.trim() }));
      }
    } catch (err) {
      form.dataset.state = "failed";
      error.textContent = t("roles.refused", { message: err instanceof ApiError ? err.message : String(err) });
    } finally {
      save.disabled = false;
    }
  };
  return form;
}

const COLUMNS: MessageKey[] = [
  "roles.col.name",
  "roles.col.origin",
  "roles.col.allowed",
  "roles.col.denied",
  "roles.col.defaults",
  "roles.col.filter",
  "roles.col.window",
  "roles.col.masks",
  "roles.col.capabilities",
  "roles.col.lookups",
  "roles.col.holders",
  "roles.col.actions",
];

/** Who holds a role: its users, and the directory groups given it. */
function holders(r: Role): HTMLElement {
  const users = r.users ?? [];
  const groups = (r.ldap_groups ?? []).map((g) => t("roles.group", { group: g }));
  return chips([...users, ...groups], t("roles.nobody"), "chip holder");
}

interface Actions {
  edit: (r: Role) => void;
  remove: (r: Role) => Promise<void>;
}

function roleRow(r: Role, act: Actions): HTMLTableRowElement {
  const tr = el("tr");
  tr.dataset.role = r.name;
  tr.dataset.origin = r.origin;
  tr.append(cell(el("strong", undefined, r.name), "name"));
  tr.append(cell(el("span", `origin origin-${r.origin}`, t(ORIGIN[r.origin])), "origin"));
  tr.append(cell(chips(r.indexes_allowed, t("roles.none")), "indexes_allowed"));
  tr.append(cell(chips(r.indexes_denied, "—", "chip deny"), "indexes_denied"));
  tr.append(cell(r.default_indexes ? chips(r.default_indexes, t("roles.none")) : el("span", "muted", t("roles.default.all")), "default_indexes"));
  tr.append(cell(r.search_filter ? el("code", "filter", r.search_filter) : el("span", "muted", "—"), "search_filter"));
  tr.append(cell(r.max_time_window ? r.max_time_window : el("span", "muted", t("roles.nolimit")), "max_time_window"));
  tr.append(cell(chips(r.mask, t("roles.none"), "chip mask"), "mask"));
  tr.append(cell(chips(r.capabilities, t("roles.none")), "capabilities"));
  const lookups = r.lookups === null || r.lookups === undefined ? el("span", "muted", t("roles.lookups.default")) : chips(r.lookups, t("roles.none"));
  tr.append(cell(lookups, "lookups"));
  tr.append(cell(holders(r), "holders"));
  const tools = el("div", "row-tools");
  if (r.editable) {
    const edit = el("button", undefined, t("dash.edit"));
    edit.dataset.testid = "role-edit";
    edit.onclick = () => act.edit(r);
    const del = el("button", "danger", t("dash.delete"));
    del.dataset.testid = "role-delete";
    // A second click deletes: the first asks, the row says which role.
    del.onclick = async () => {
      if (del.dataset.armed !== "true") {
        del.dataset.armed = "true";
        del.textContent = t("roles.confirm", { name: r.name });
        return;
      }
      del.disabled = true;
      await act.remove(r);
      del.disabled = false;
      del.dataset.armed = "false";
      del.textContent = t("dash.delete");
    };
    del.onblur = () => {
      if (del.dataset.armed === "true" && !del.disabled) {
        del.dataset.armed = "false";
        del.textContent = t("dash.delete");
      }
    };
    tools.append(edit, del);
  } else {
    tools.append(el("span", "readonly", r.origin === "builtin" ? t("roles.readonly.builtin") : t("roles.readonly.config")));
  }
  tr.append(cell(tools, "actions"));
  return tr;
}

/** `/roles`. */
export async function rolesPage(root: HTMLElement): Promise<void> {
  root.textContent = "";
  const head = el("div", "dash-head");
  head.append(el("h1", undefined, t("roles.title")));
  const create = el("button", "primary", t("roles.new"));
  create.dataset.testid = "role-new";
  head.append(create);
  const intro = el("p", "dash-info", t("roles.intro"));
  const message = el("p", "dash-message");
  message.dataset.testid = "roles-message";
  message.setAttribute("role", "status");
  const formBox = el("div", "role-form-box");
  const tableBox = el("div", "roles-box");
  root.append(head, intro, message, formBox, tableBox);

  const say = (text: string, state: "done" | "failed") => {
    message.textContent = text;
    message.dataset.state = state;
  };
  const closeForm = () => {
    formBox.textContent = "";
    create.disabled = false;
  };
  const openForm = (r: Role | null) => {
    formBox.textContent = "";
    create.disabled = r === null;
    const form = roleForm(
      r,
      async (text) => {
        closeForm();
        say(text, "done");
        await reload();
      },
      closeForm,
    );
    formBox.append(form);
    form.querySelector<HTMLInputElement>(r ? "input[name=indexes_allowed]" : "input[name=name]")?.focus();
  };
  const actions: Actions = {
    edit: openForm,
    remove: async (r) => {
      try {
        await api.deleteRole(r.name);
        say(t("roles.deleted", { name: r.name }), "done");
        await reload();
      } catch (e) {
        // 409 while a user or a directory group holds it: the server says who.
        say(t("roles.notdeleted", { message: e instanceof ApiError ? e.message : String(e) }), "failed");
      }
    },
  };
  create.onclick = () => openForm(null);

  const reload = async () => {
    tableBox.dataset.state = "loading";
    let roles: Role[];
    try {
      roles = (await api.roles()).roles;
    } catch (e) {
      tableBox.textContent = "";
      const err = el("p", "panel-error", t("roles.error", { message: e instanceof ApiError ? e.message : String(e) }));
      err.dataset.testid = "roles-error";
      tableBox.append(err);
      create.disabled = true;
      tableBox.dataset.state = "failed";
      return;
    }
    const table = el("table", "results roles");
    table.dataset.testid = "roles-table";
    const thead = el("thead");
    const hr = el("tr");
    for (const k of COLUMNS) hr.append(el("th", undefined, t(k)));
    thead.append(hr);
    const body = el("tbody");
    for (const r of roles) body.append(roleRow(r, actions));
    table.append(thead, body);
    tableBox.textContent = "";
    tableBox.append(table);
    tableBox.dataset.state = "done";
  };
  await reload();
}
