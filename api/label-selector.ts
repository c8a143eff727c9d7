// Kubernetes label selectors (matchLabels + matchExpressions), evaluated locally.

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/**
 * An absent or empty selector matches everything, as in Kubernetes. Throws on an unknown operator; callers
 * holding selectors nothing validated check them with selectorProblems first.
 */
export function matchesSelector(selector: LabelSelector | undefined, labels: Record<string, string> = {}): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const r of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    const value = labels[r.key];
    switch (r.operator) {
      case 'In':
        if (!has || !(r.values ?? []).includes(value!)) return false;
        break;
      case 'NotIn':
        if (has && (r.values ?? []).includes(value!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        throw new Error(`unknown label selector operator ${String((r as { operator: unknown }).operator)}`);
    }
  }
  return true;
}

/** Selector as a string for list queries (`a=b,c in (d,e)`). */
export function selectorString(selector: LabelSelector | undefined): string {
  if (!selector) return '';
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const r of selector.matchExpressions ?? []) {
    if (r.operator === 'Exists') parts.push(r.key);
    else if (r.operator === 'DoesNotExist') parts.push(`!${r.key}`);
    else parts.push(`${r.key} ${r.operator === 'In' ? 'in' : 'notin'} (${(r.values ?? []).join(',')})`);
  }
  return parts.join(',');
}

// Label keys and values as apimachinery validates them (validation.IsQualifiedName, IsValidLabelValue).
const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const isLabelKey = (k: string): boolean => {
  const i = k.lastIndexOf('/');
  const [prefix, name] = i < 0 ? [undefined, k] : [k.slice(0, i), k.slice(i + 1)];
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return false;
  return name.length > 0 && name.length <= 63 && NAME.test(name);
};
const isLabelValue = (v: string): boolean => v === '' || (v.length <= 63 && NAME.test(v));
const OPERATORS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);

/**
 * What is wrong with a selector, as the API server's LabelSelectorAsSelector would refuse it; [] when valid.
 * Takes `unknown`: selectors read from objects whose schema did not (or did not yet) validate them can hold anything.
 */
export function selectorProblems(selector: unknown): string[] {
  if (selector === undefined || selector === null) return [];
  if (typeof selector !== 'object' || Array.isArray(selector)) return ['selector is not an object'];
  const s = selector as { matchLabels?: unknown; matchExpressions?: unknown };
  const problems: string[] = [];
  if (s.matchLabels !== undefined && s.matchLabels !== null) {
    if (typeof s.matchLabels !== 'object' || Array.isArray(s.matchLabels)) problems.push('matchLabels is not a map');
    else {
      for (const [k, v] of Object.entries(s.matchLabels)) {
        if (!isLabelKey(k)) problems.push(`matchLabels: invalid label key "${k}"`);
        if (typeof v !== 'string') problems.push(`matchLabels["${k}"]: value ${JSON.stringify(v)} is not a string`);
        else if (!isLabelValue(v)) problems.push(`matchLabels["${k}"]: invalid label value "${v}"`);
      }
    }
  }
  if (s.matchExpressions !== undefined && s.matchExpressions !== null) {
    if (!Array.isArray(s.matchExpressions)) problems.push('matchExpressions is not a list');
    else {
      s.matchExpressions.forEach((r: unknown, i: number) => {
        const at = `matchExpressions[${i}]`;
        if (!r || typeof r !== 'object') return void problems.push(`${at}: not an object`);
        const { key, operator, values } = r as { key?: unknown; operator?: unknown; values?: unknown };
        if (typeof key !== 'string' || !isLabelKey(key)) problems.push(`${at}: invalid key ${JSON.stringify(key)}`);
        if (typeof operator !== 'string' || !OPERATORS.has(operator)) {
          problems.push(`${at}: operator ${JSON.stringify(operator)} is not one of In, NotIn, Exists, DoesNotExist`);
          return;
        }
        const list = values === undefined || values === null ? [] : values;
        if (!Array.isArray(list)) return void problems.push(`${at}: values is not a list`);
        if ((operator === 'In' || operator === 'NotIn') && list.length === 0) problems.push(`${at}: values must be non-empty for operator ${operator}`);
        if ((operator === 'Exists' || operator === 'DoesNotExist') && list.length > 0) problems.push(`${at}: values must be empty for operator ${operator}`);
        for (const v of list) {
          if (typeof v !== 'string' || !isLabelValue(v)) problems.push(`${at}: invalid value ${JSON.stringify(v)}`);
        }
      });
    }
  }
  return problems;
}
