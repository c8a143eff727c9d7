import { transition } from '../../../placement/transition.js';

describe('transition', () => {
  it('creates and grows at once', () => {
    expect(transition({ a: 3, b: 2 }, {})).toEqual({ apply: { a: 3, b: 2 }, remove: [], held: 0 });
    expect(transition({ a: 3 }, { a: { replicas: 1, ready: 1 } })).toEqual({ apply: { a: 3 }, remove: [], held: 0 });
  });

  it('keeps a leaving member until its replacements are Ready elsewhere', () => {
    // b leaves; a grows from 2 to 4, nothing new Ready yet: b keeps both.
    expect(transition({ a: 4 }, { a: { replicas: 2, ready: 2 }, b: { replicas: 2, ready: 2 } })).toEqual({ apply: { a: 4 }, remove: [], held: 2 });
    // One replacement Ready: b may lose one.
    expect(transition({ a: 4 }, { a: { replicas: 4, ready: 3 }, b: { replicas: 2, ready: 2 } })).toEqual({ apply: { b: 1 }, remove: [], held: 1 });
    // Both Ready: b goes.
    expect(transition({ a: 4 }, { a: { replicas: 4, ready: 4 }, b: { replicas: 2, ready: 2 } })).toEqual({ apply: {}, remove: ['b'], held: 0 });
  });

  it('removes replicas that are not Ready at once (they cover nothing)', () => {
    expect(transition({ a: 4 }, { a: { replicas: 2, ready: 2 }, b: { replicas: 2, ready: 0 } })).toEqual({ apply: { a: 4 }, remove: ['b'], held: 0 });
  });

  it('scales down at once when the plan asks for fewer', () => {
    expect(transition({ a: 2 }, { a: { replicas: 5, ready: 5 } })).toEqual({ apply: { a: 2 }, remove: [], held: 0 });
  });

  it('shrinks the members named first before others', () => {
    const t = transition({ a: 3, b: 1, c: 1 }, { a: { replicas: 1, ready: 1 }, b: { replicas: 3, ready: 3 }, c: { replicas: 3, ready: 3 } }, ['c']);
    // Ready 7, wanted 5: 2 may go, from c first.
    expect(t).toEqual({ apply: { a: 3, c: 1 }, remove: [], held: 2 });
  });

  it('deletes everything when the plan is empty', () => {
    expect(transition({}, { a: { replicas: 2, ready: 2 } })).toEqual({ apply: {}, remove: ['a'], held: 0 });
  });
});
