// The SPL editor: CodeMirror 6 with SPL highlighting, the server's diagnostics underlined at
// their span as the user types (POST /api/v1/parse), and completion of commands, functions,
// fields and values. Enter runs the search; Shift+Enter breaks the line.

import { EditorState } from "@codemirror/state";
import { EditorView, keymap, placeholder } from "@codemirror/view";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { StreamLanguage, HighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { tags } from "@lezer/highlight";
import { linter, Diagnostic as CmDiagnostic } from "@codemirror/lint";
import { autocompletion, CompletionContext, CompletionResult } from "@codemirror/autocomplete";
import { api, ParseReport } from "../api";
import { t } from "../i18n";

interface SplState {
  afterPipe: boolean;
  inString: boolean;
}

/** SPL tokens: a command after `|`, keywords, strings, `field=` names, numbers, comments. */
const spl = StreamLanguage.define<SplState>({
  startState: () => ({ afterPipe: true, inString: false }),
  token(stream, state) {
    if (state.inString) {
      while (!stream.eol()) {
        const c = stream.next();
        if (c === "\\") stream.next();
        else if (c === '"') {
          state.inString = false;
          break;
        }
      }
      return "string";
    }
    if (stream.eatSpace()) return null;
    if (stream.match("```")) {
      stream.skipTo("```") ? stream.match("```") : stream.skipToEnd();
      return "comment";
    }
    const c = stream.peek();
    if (c === "|") {
      stream.next();
      state.afterPipe = true;
      return "operator";
    }
    if (c === '"') {
      stream.next();
      state.inString = true;
      return "string";
    }
    if (c === "[" || c === "]" || c === "(" || c === ")") {
      stream.next();
      if (c === "[") state.afterPipe = true;
      return "bracket";
    }
    if (stream.match(/^-?\d+(\.\d+)?\b/)) return "number";
    if (stream.match(/^[A-Za-z_][\w.:{}]*(?==)/)) {
      state.afterPipe = false;
      return "propertyName";
    }
    if (stream.match(/^[A-Za-z_][\w.]*/)) {
      const word = stream.current();
      if (state.afterPipe) {
        state.afterPipe = false;
        return "keyword";
      }
      if (/^(AND|OR|NOT|BY|AS|OVER|OUTPUT|OUTPUTNEW|IN)$/i.test(word)) return "operatorKeyword";
      if (stream.peek() === "(") return "function";
      return null;
    }
    stream.next();
    return null;
  },
});

const style = HighlightStyle.define([
  { tag: tags.keyword, color: "#1d4ed8", fontWeight: "600" },
  { tag: tags.operatorKeyword, color: "#9333ea" },
  { tag: tags.string, color: "#047857" },
  { tag: tags.number, color: "#b45309" },
  { tag: tags.propertyName, color: "#0f766e" },
  { tag: tags.comment, color: "#6b7280", fontStyle: "italic" },
  { tag: tags.function(tags.variableName), color: "#be185d" },
  { tag: tags.operator, color: "#dc2626", fontWeight: "700" },
]);

export interface EditorOptions {
  parent: HTMLElement;
  doc: string;
  onRun: (query: string) => void;
  /** Field names and values known from the current job's summary. */
  fields: () => Record<string, string[]>;
  /** The last searches run, newest first: offered when the editor is empty. */
  history?: () => string[];
}

let vocabulary: ParseReport | null = null;

/** Runs the server's parser: its diagnostics, and the vocabulary for completion. */
const serverLint = linter(
  async (view): Promise<CmDiagnostic[]> => {
    const text = view.state.doc.toString();
    if (!text.trim()) return [];
    try {
      const report = await api.parse(text);
      vocabulary = report;
      const len = text.length;
      return report.diagnostics.map((d) => {
        const from = Math.min(d.start, len);
        const to = Math.max(from, Math.min(d.end, len));
        return {
          from,
          to: to === from && from < len ? from + 1 : to,
          severity: d.severity,
          message: d.message,
        };
      });
    } catch {
      return [];
    }
  },
  { delay: 300 },
);

function completer(fields: () => Record<string, string[]>, history: () => string[]) {
  return (ctx: CompletionContext): CompletionResult | null => {
    // An empty editor completes to a past search (Ctrl+Space, or typing in an empty box).
    if (ctx.state.doc.length === 0 || (ctx.explicit && ctx.state.doc.toString().trim() === "")) {
      const past = history();
      if (past.length === 0) return null;
      return {
        from: 0,
        to: ctx.state.doc.length,
        options: past.map((q, i) => ({ label: q, type: "text", detail: t("history.detail"), boost: -i })),
        filter: false,
      };
    }
    const word = ctx.matchBefore(/[\w.:-]*/);
    if (!word || (word.from === word.to && !ctx.explicit)) return null;
    const before = ctx.state.doc.sliceString(0, word.from);
    const afterPipe = /\|\s*$/.test(before) || /\[\s*$/.test(before);
    const valueOf = before.match(/([\w.:]+)=$/);
    const known = fields();
    if (valueOf) {
      const values = known[valueOf[1]] ?? [];
      return {
        from: word.from,
        options: values.map((v) => ({ label: /\s/.test(v) ? `"${v}"` : v, type: "text" })),
      };
    }
    if (afterPipe) {
      return {
        from: word.from,
        options: (vocabulary?.commands ?? ["search", "stats", "where", "eval", "table", "timechart", "head"]).map(
          (c) => ({ label: c, type: "keyword" }),
        ),
      };
    }
    const fns = [...(vocabulary?.functions ?? []), ...(vocabulary?.stats_functions ?? [])];
    const names = new Set([...Object.keys(known), ...(vocabulary?.fields ?? [])]);
    return {
      from: word.from,
      options: [
        ...[...names].map((f) => ({ label: f, type: "variable" })),
        ...[...new Set(fns)].map((f) => ({ label: f, type: "function", apply: `${f}(` })),
      ],
    };
  };
}

export function createEditor(opts: EditorOptions): EditorView {
  const run = (view: EditorView) => {
    opts.onRun(view.state.doc.toString());
    return true;
  };
  return new EditorView({
    parent: opts.parent,
    state: EditorState.create({
      doc: opts.doc,
      extensions: [
        history(),
        keymap.of([{ key: "Enter", run }, { key: "Mod-Enter", run }, ...historyKeymap, ...defaultKeymap]),
        spl,
        syntaxHighlighting(style),
        serverLint,
        autocompletion({ override: [completer(opts.fields, opts.history ?? (() => []))] }),
        placeholder(t("search.placeholder")),
        EditorView.lineWrapping,
        EditorView.contentAttributes.of({ "aria-label": t("search.editor"), "data-testid": "spl-editor" }),
      ],
    }),
  });
}
