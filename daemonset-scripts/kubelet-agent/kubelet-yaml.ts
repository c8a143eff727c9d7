// A kubelet config file read the way the kubelet reads it and edited in place
// (pure). The kubelet decodes its file with sigs.k8s.io/yaml, i.e. go-yaml v2:
// YAML 1.1 scalars (`0110` is the octal 72, `yes` is true, `0o17` is 15, but
// no base-60 numbers or timestamps). Edits are text splices at the changed
// keys only: every other byte of the file — comments, quoting, flow-style maps
// and inline JSON arrays, list indentation, CRLF line endings — stays as it
// was. The result is parsed again and compared with what was meant; a splice
// that does not read back exactly is an error, never a written file.
import { isMap, isPair, isScalar, isSeq, parseDocument, Scalar, type Document, type Pair, type YAMLMap } from 'yaml';
import type { ScalarTag, Tags } from 'yaml';

/** A file the agent cannot read or edit, with the line when there is one. */
export class KubeletConfigError extends Error {
  constructor(readonly file: string, readonly reason: string, readonly line?: number) {
    super(`${file}${line ? `: line ${line}` : ''}: ${reason}`);
  }
}

/** go-yaml v2 reads `0o17` as an integer (Go's strconv.ParseInt with base 0); YAML 1.1 alone does not. */
const goOctal: ScalarTag = {
  identify: (v) => typeof v === 'number' && Number.isInteger(v),
  default: true,
  tag: 'tag:yaml.org,2002:int',
  test: /^[-+]?0[oO][0-7_]+$/,
  resolve: (s: string) => {
    const neg = s.startsWith('-');
    return (neg ? -1 : 1) * parseInt(s.replace(/^[-+]?0[oO]/, '').replace(/_/g, ''), 8);
  },
};

/** YAML 1.1 as go-yaml v2 has it: no sexagesimal numbers, no timestamps (kept as strings), plus `0o` octal. */
function goYamlV2Tags(tags: Tags): Tags {
  return [...tags.filter((t) => typeof t === 'object' && (t as ScalarTag).format !== 'TIME' && t.tag !== 'tag:yaml.org,2002:timestamp'), goOctal];
}

export const YAML_OPTIONS = { version: '1.1', customTags: goYamlV2Tags, merge: true, uniqueKeys: true } as const;

export interface ParsedConfig {
  file: string;
  text: string;
  /** The file as JSON (starts with "{"): keys and strings are written double-quoted. */
  json: boolean;
  eol: string;
  doc: Document.Parsed;
  value: Record<string, unknown>;
}

const lineOf = (text: string, offset: number) => text.slice(0, offset).split('\n').length;

/** Parses a kubelet config file; errors name the file, the line and the reason. */
export function parseKubeletConfig(text: string, file: string): ParsedConfig {
  if (!text.trim()) throw new KubeletConfigError(file, 'the file is empty (the kubelet refuses an empty config file)');
  const json = text.trimStart().startsWith('{');
  if (json) {
    try {
      JSON.parse(text);
    } catch (e) {
      const msg = (e as Error).message;
      const pos = /at position (\d+)/.exec(msg);
      throw new KubeletConfigError(file, `not valid JSON: ${msg.replace(/ in JSON at position \d+.*$/, '')}`, pos ? lineOf(text, Number(pos[1])) : undefined);
    }
  }
  const doc = parseDocument(text, YAML_OPTIONS);
  const err = doc.errors[0];
  if (err) {
    const reason = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new KubeletConfigError(file, `not valid YAML: ${reason}`, err.linePos?.[0]?.line ?? lineOf(text, err.pos[0]));
  }
  if (!isMap(doc.contents)) throw new KubeletConfigError(file, 'does not hold a mapping (a KubeletConfiguration object)', doc.contents ? lineOf(text, doc.contents.range[0]) : undefined);
  const value = doc.toJS({ maxAliasCount: 100 }) as Record<string, unknown>;
  return { file, text, json, eol: text.includes('\r\n') ? '\r\n' : '\n', doc, value };
}

/** Set a value at a path (leaf or map), or delete the key at a path. */
export type ConfigEdit = { path: string[]; value: unknown } | { path: string[]; delete: true };

const isDelete = (e: ConfigEdit): e is { path: string[]; delete: true } => 'delete' in e;

/** The value an edit list makes of a plain object (what the edited file must read back as). */
export function applyEditsToValue(value: Record<string, unknown>, edits: ConfigEdit[]): Record<string, unknown> {
  const out = structuredClone(value);
  for (const e of edits) {
    let at: Record<string, unknown> = out;
    for (const k of e.path.slice(0, -1)) {
      if (!at[k] || typeof at[k] !== 'object' || Array.isArray(at[k])) {
        if (isDelete(e)) return out;
        at[k] = {};
      }
      at = at[k] as Record<string, unknown>;
    }
    const last = e.path[e.path.length - 1]!;
    if (isDelete(e)) delete at[last];
    else at[last] = structuredClone(e.value);
  }
  return out;
}

interface Ctx {
  text: string;
  json: boolean;
  eol: string;
  step: number;
}

const lineStart = (text: string, i: number) => text.lastIndexOf('\n', i - 1) + 1;
function lineEnd(text: string, i: number): number {
  const n = text.indexOf('\n', i);
  if (n < 0) return text.length;
  return n > 0 && text[n - 1] === '\r' ? n - 1 : n;
}
/** Offset just past the end of line (after its EOL), or the end of the text. */
function nextLine(text: string, i: number): number {
  const n = text.indexOf('\n', i);
  return n < 0 ? text.length : n + 1;
}
const column = (text: string, i: number) => i - lineStart(text, i);

/** The indentation step the file uses for nested mappings (2 unless it shows another). */
function detectStep(doc: Document.Parsed, text: string): number {
  const root = doc.contents as YAMLMap;
  for (const p of root.items as Pair[]) {
    const v = p.value;
    if (isMap(v) && v.items.length && isScalar(p.key)) {
      const inner = (v.items[0] as Pair).key as Scalar;
      const outer = p.key as Scalar;
      const d = column(text, inner.range![0]) - column(text, outer.range![0]);
      if (d > 0 && (!v.flow || text.slice(outer.range![0], inner.range![0]).includes('\n'))) return d;
    }
  }
  return 2;
}

function findPair(map: YAMLMap, key: string): Pair | undefined {
  return (map.items as Pair[]).find((p) => isScalar(p.key) && String(p.key.value) === key);
}

/** A string that reads back as the same string when written plain (YAML 1.1, go-yaml v2). */
function plainSafe(s: string): boolean {
  if (!/^[A-Za-z0-9/][A-Za-z0-9_./-]*$/.test(s)) return false;
  const d = parseDocument(`k: ${s}\n`, YAML_OPTIONS);
  return !d.errors.length && (d.toJS() as { k: unknown }).k === s;
}

function renderScalar(v: unknown, c: Ctx, flow: boolean, like?: Scalar): string {
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null) return 'null';
  const s = String(v);
  if (c.json) return JSON.stringify(s);
  if (like?.type === 'QUOTE_SINGLE') return `'${s.replace(/'/g, "''")}'`;
  if (like?.type === 'QUOTE_DOUBLE') return JSON.stringify(s);
  return plainSafe(s) && !(flow && /[,[\]{}]/.test(s)) ? s : JSON.stringify(s);
}

const renderKey = (k: string, c: Ctx, like?: Scalar) => (c.json || like?.type === 'QUOTE_DOUBLE' ? JSON.stringify(k) : like?.type === 'QUOTE_SINGLE' ? `'${k}'` : plainSafe(k) ? k : JSON.stringify(k));

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** A value as the text after "key:" — block context at the key's column `col`. */
function renderBlockValue(v: unknown, c: Ctx, col: number): string {
  if (isObj(v)) {
    const ind = ' '.repeat(col + c.step);
    const entries = Object.entries(v);
    if (!entries.length) return ' {}';
    return entries.map(([k, x]) => `${c.eol}${ind}${renderKey(k, c)}:${renderBlockValue(x, c, col + c.step)}`).join('');
  }
  return ` ${renderScalar(v, c, false)}`;
}

/** A value inside a flow mapping: inline, or one key a line when the surrounding mapping is written that way. */
function renderFlowValue(v: unknown, c: Ctx, multiline: boolean, col: number): string {
  if (!isObj(v)) return renderScalar(v, c, true);
  const entries = Object.entries(v);
  if (!entries.length) return '{}';
  if (!multiline) return `{${c.json ? '' : ' '}${entries.map(([k, x]) => `${renderKey(k, c)}: ${renderFlowValue(x, c, false, 0)}`).join(', ')}${c.json ? '' : ' '}}`;
  const ind = ' '.repeat(col + c.step);
  return `{${entries.map(([k, x], i) => `${i ? ',' : ''}${c.eol}${ind}${renderKey(k, c)}: ${renderFlowValue(x, c, true, col + c.step)}`).join('')}${c.eol}${' '.repeat(col)}}`;
}

/** Whether a flow mapping is written one key a line. */
function flowMultiline(text: string, map: YAMLMap): boolean {
  const first = map.items[0] as Pair | undefined;
  if (!first) return false;
  return text.slice(map.range![0], (first.key as Scalar).range![0]).includes('\n');
}

/** The offset just after the ":" that follows a key. */
function afterColon(text: string, key: Scalar): number {
  const i = text.indexOf(':', key.range![1]);
  return i + 1;
}

type Splice = { from: number; to: number; insert: string };

/** The one splice that makes `edit` at `map` (whose keys are at path depth `depth`). */
function spliceFor(map: YAMLMap, edit: ConfigEdit, depth: number, c: Ctx): Splice | undefined {
  const key = edit.path[depth]!;
  const rest = edit.path.length - depth - 1;
  const pair = findPair(map, key);
  const t = c.text;
  if (pair && rest > 0) {
    if (isMap(pair.value)) return spliceFor(pair.value, edit, depth + 1, c);
    if (isDelete(edit)) return undefined; // nothing there to delete
    // Not a mapping (null, a scalar): becomes one holding the rest of the path.
    const v = applyEditsToValue({}, [{ path: edit.path.slice(depth + 1), value: edit.value }]);
    return replaceValue(pair, v, map, c);
  }
  if (isDelete(edit)) {
    if (!pair) return undefined;
    const items = map.items as Pair[];
    const i = items.indexOf(pair);
    const k = pair.key as Scalar;
    const end = valueEnd(pair);
    if (!map.flow) {
      // The last key of a nested block mapping: the mapping becomes {} (deleting the parent is the planner's choice).
      if (items.length === 1 && depth > 0) return { from: lineStart(t, k.range![0]) - (t[lineStart(t, k.range![0]) - 2] === '\r' ? 2 : 1), to: lineEnd(t, end), insert: ' {}' };
      return { from: lineStart(t, k.range![0]), to: nextLine(t, end), insert: '' };
    }
    const next = items[i + 1];
    if (next) return { from: k.range![0], to: (next.key as Scalar).range![0], insert: '' };
    const prev = items[i - 1];
    if (prev) return { from: valueEnd(prev), to: end, insert: '' };
    return { from: k.range![0], to: end, insert: '' };
  }
  const value = rest > 0 ? applyEditsToValue({}, [{ path: edit.path.slice(depth + 1), value: edit.value }]) : edit.value;
  if (pair) return replaceValue(pair, value, map, c);
  return insertPair(map, key, value, c);
}

/** Where a node's own text ends: a block collection's range also takes in the comment lines after it. */
function contentEnd(n: unknown): number | undefined {
  const node = n as { range?: [number, number, number]; flow?: boolean; items?: unknown[] } | null;
  if (!node?.range) return undefined;
  if ((isMap(node) || isSeq(node)) && !node.flow && node.items?.length) {
    const last = node.items[node.items.length - 1];
    if (isPair(last)) return contentEnd(last.value) ?? contentEnd(last.key);
    return contentEnd(last) ?? node.range[1];
  }
  return node.range[1];
}

function valueEnd(p: Pair): number {
  return contentEnd(p.value) ?? (p.key as Scalar).range![1];
}

function replaceValue(pair: Pair, value: unknown, map: YAMLMap, c: Ctx): Splice {
  const t = c.text;
  const k = pair.key as Scalar;
  const old = pair.value as (Scalar | YAMLMap | null);
  const col = column(t, k.range![0]);
  if (map.flow) {
    const from = old?.range ? old.range[0] : afterColon(t, k);
    const text = isScalar(old) && !isObj(value) ? renderScalar(value, c, true, old) : renderFlowValue(value, c, flowMultiline(t, map), col);
    return { from, to: valueEnd(pair), insert: `${old?.range ? '' : ' '}${text}` };
  }
  const oldScalar = isScalar(old) && old.range && old.range[1] > old.range[0];
  if (oldScalar && !isObj(value)) return { from: old.range![0], to: old.range![1], insert: renderScalar(value, c, false, old) };
  if (isMap(old) && old.flow && isObj(value)) return { from: old.range![0], to: old.range![1], insert: renderFlowValue(value, c, flowMultiline(t, old), col) };
  // A block collection, an empty value, or a scalar that becomes a mapping: everything after the colon.
  return { from: afterColon(t, k), to: valueEnd(pair), insert: renderBlockValue(value, c, col) };
}

function insertPair(map: YAMLMap, key: string, value: unknown, c: Ctx): Splice {
  const t = c.text;
  const items = map.items as Pair[];
  const last = items[items.length - 1];
  if (map.flow) {
    const multiline = flowMultiline(t, map);
    if (!last) {
      // {} → {"key": value}
      const at = map.range![0] + 1;
      return { from: at, to: map.range![1] - 1, insert: `${renderKey(key, c)}: ${renderFlowValue(value, c, false, 0)}` };
    }
    const lk = last.key as Scalar;
    const col = column(t, lk.range![0]);
    const sep = multiline ? `,${c.eol}${' '.repeat(col)}` : ', ';
    return { from: valueEnd(last), to: valueEnd(last), insert: `${sep}${renderKey(key, c, lk)}: ${renderFlowValue(value, c, multiline, col)}` };
  }
  if (!last) throw new Error('cannot add to an empty block mapping');
  const lk = last.key as Scalar;
  const col = column(t, lk.range![0]);
  // A new line right after the last key's own lines (comments after it stay after it).
  const at = lineEnd(t, valueEnd(last));
  return { from: at, to: at, insert: `${c.eol}${' '.repeat(col)}${renderKey(key, c, lk.type === 'PLAIN' ? undefined : lk)}:${renderBlockValue(value, c, col)}` };
}

/**
 * The file's text with the edits made, every other byte unchanged. Throws
 * when the result would not read back as the intended object.
 */
export function editKubeletConfig(parsed: ParsedConfig, edits: ConfigEdit[]): string {
  let text = parsed.text;
  for (const edit of edits) {
    const p = parseKubeletConfig(text, parsed.file);
    const c: Ctx = { text, json: p.json, eol: p.eol, step: detectStep(p.doc, text) };
    const s = spliceFor(p.doc.contents as YAMLMap, edit, 0, c);
    if (s) text = text.slice(0, s.from) + s.insert + text.slice(s.to);
  }
  const want = applyEditsToValue(parsed.value, edits);
  let got: unknown;
  try {
    got = parseKubeletConfig(text, parsed.file).value;
  } catch (e) {
    throw new KubeletConfigError(parsed.file, `fedfeat could not edit this file safely (${(e as Error).message}); it was left as it was`);
  }
  if (!sameValue(got, want)) throw new KubeletConfigError(parsed.file, 'fedfeat could not edit this file safely (the edited text did not read back as intended); it was left as it was');
  return text;
}

/** The value at a path of a plain object, or undefined. */
export function valueAt(obj: unknown, path: string[]): unknown {
  let at = obj;
  for (const k of path) {
    if (!isObj(at)) return undefined;
    at = at[k];
  }
  return at;
}

export function hasPath(obj: unknown, path: string[]): boolean {
  let at = obj;
  for (const k of path) {
    if (!isObj(at) || !(k in at)) return false;
    at = at[k];
  }
  return true;
}

/** Deep equality of plain data (JSON-like values; key order does not matter). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return Number.isNaN(a) && Number.isNaN(b);
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
