// `$token$` substitution, as the server's `loupe_meta::dashboard::substitute` does it: `$name$`
// (letters, digits, `_` and `.`) becomes its value, unknown names stay as they are, `$$` is `$`.

export type Tokens = Record<string, string>;

export function substitute(text: string, tokens: Tokens, encode: (v: string) => string = (v) => v): string {
  return text.replace(/\$([\w.]*)\$/g, (whole, name: string) => {
    if (name === "") return "$";
    return Object.prototype.hasOwnProperty.call(tokens, name) ? encode(tokens[name]) : whole;
  });
}

/** A value as an SPL search term: bare when it is one word, else quoted with `"` and `\` escaped. */
export function splValue(v: string): string {
  return /^[\w.:/@-]+$/.test(v) ? v : `"${v.replace(/(["\\])/g, "\\$1")}"`;
}

/** The tokens of a clicked row: `row.FIELD` for each of its fields, `value` and `field` of the cell. */
export function rowTokens(row: Record<string, unknown>, field?: string): Tokens {
  const out: Tokens = {};
  const text = (v: unknown) => (v === null || v === undefined ? "" : Array.isArray(v) ? v.join(" ") : String(v));
  for (const [k, v] of Object.entries(row)) out[`row.${k}`] = text(v);
  if (field !== undefined) {
    out.field = field;
    out.value = text(row[field]);
  }
  return out;
}
