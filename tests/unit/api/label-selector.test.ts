import { matchesSelector, selectorProblems, selectorString } from '../../../api/label-selector.js';

describe('matchesSelector', () => {
  const labels = { env: 'prod', region: 'eu', canary: '' };
  it('matches everything with an absent or empty selector', () => {
    expect(matchesSelector(undefined, labels)).toBe(true);
    expect(matchesSelector({}, {})).toBe(true);
  });
  it('applies matchLabels', () => {
    expect(matchesSelector({ matchLabels: { env: 'prod' } }, labels)).toBe(true);
    expect(matchesSelector({ matchLabels: { env: 'dev' } }, labels)).toBe(false);
    expect(matchesSelector({ matchLabels: { missing: 'x' } }, labels)).toBe(false);
  });
  it('applies each expression operator', () => {
    expect(matchesSelector({ matchExpressions: [{ key: 'region', operator: 'In', values: ['eu', 'us'] }] }, labels)).toBe(true);
    expect(matchesSelector({ matchExpressions: [{ key: 'region', operator: 'In', values: ['us'] }] }, labels)).toBe(false);
    expect(matchesSelector({ matchExpressions: [{ key: 'nope', operator: 'In', values: ['x'] }] }, labels)).toBe(false);
    expect(matchesSelector({ matchExpressions: [{ key: 'region', operator: 'NotIn', values: ['us'] }] }, labels)).toBe(true);
    expect(matchesSelector({ matchExpressions: [{ key: 'nope', operator: 'NotIn', values: ['x'] }] }, labels)).toBe(true);
    expect(matchesSelector({ matchExpressions: [{ key: 'region', operator: 'NotIn', values: ['eu'] }] }, labels)).toBe(false);
    expect(matchesSelector({ matchExpressions: [{ key: 'canary', operator: 'Exists' }] }, labels)).toBe(true);
    expect(matchesSelector({ matchExpressions: [{ key: 'canary', operator: 'DoesNotExist' }] }, labels)).toBe(false);
    expect(matchesSelector({ matchExpressions: [{ key: 'nope', operator: 'DoesNotExist' }] }, labels)).toBe(true);
  });
  it('ANDs labels and expressions', () => {
    expect(matchesSelector({ matchLabels: { env: 'prod' }, matchExpressions: [{ key: 'region', operator: 'In', values: ['us'] }] }, labels)).toBe(false);
  });
  it('refuses an unknown operator', () => {
    // @ts-expect-error deliberately invalid operator, as an unvalidated object could hold
    expect(() => matchesSelector({ matchExpressions: [{ key: 'a', operator: 'Gt' }] }, labels)).toThrow(/unknown label selector operator Gt/);
  });
});

describe('selectorString', () => {
  it('renders the query syntax the API server accepts', () => {
    expect(selectorString(undefined)).toBe('');
    expect(selectorString({
      matchLabels: { a: 'b' },
      matchExpressions: [
        { key: 'c', operator: 'In', values: ['d', 'e'] },
        { key: 'f', operator: 'NotIn', values: ['g'] },
        { key: 'h', operator: 'Exists' },
        { key: 'i', operator: 'DoesNotExist' },
      ],
    })).toBe('a=b,c in (d,e),f notin (g),h,!i');
  });
});

describe('selectorProblems', () => {
  it('accepts valid selectors', () => {
    expect(selectorProblems(undefined)).toEqual([]);
    expect(selectorProblems({})).toEqual([]);
    expect(selectorProblems({
      matchLabels: { 'app.kubernetes.io/name': 'web', empty: '' },
      matchExpressions: [{ key: 'a', operator: 'In', values: ['x'] }, { key: 'b', operator: 'Exists' }, { key: 'c', operator: 'DoesNotExist', values: [] }],
    })).toEqual([]);
  });
  it('names what LabelSelectorAsSelector would refuse', () => {
    const p = (s: unknown) => selectorProblems(s).join('; ');
    expect(p({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] })).toMatch(/operator "Gt" is not one of/);
    expect(p({ matchExpressions: [{ key: 'a', operator: 'In' }] })).toMatch(/values must be non-empty for operator In/);
    expect(p({ matchExpressions: [{ key: 'a', operator: 'NotIn', values: [] }] })).toMatch(/values must be non-empty for operator NotIn/);
    expect(p({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] })).toMatch(/values must be empty for operator Exists/);
    expect(p({ matchLabels: { a: 1 } })).toMatch(/value 1 is not a string/);
    expect(p({ matchLabels: { 'bad key!': 'x' } })).toMatch(/invalid label key/);
    expect(p({ matchLabels: { a: 'x'.repeat(64) } })).toMatch(/invalid label value/);
    expect(p({ matchExpressions: 'a' })).toMatch(/not a list/);
    expect(p('a=b')).toMatch(/not an object/);
  });
});
