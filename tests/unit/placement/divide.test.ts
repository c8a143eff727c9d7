import { fill, waterFill, weighted, type Slot } from '../../../placement/divide.js';

const slot = (name: string, max: number, extra: Partial<Slot> = {}): Slot => ({ name, min: 0, max, weight: 1, ...extra });
const obj = (m: Map<string, number>) => Object.fromEntries(m);

describe('weighted (KubeFed planner)', () => {
  it('divides by equal weights as KubeFed does, fractions rounded up in weight order', () => {
    // KubeFed's own example: 50 over three members of weight 1 is 17/17/16.
    const d = weighted(50, [slot('a', 100), slot('b', 100), slot('c', 100)], 'ns/x');
    expect(d.remaining).toBe(0);
    expect(Object.values(obj(d.plan)).sort()).toEqual([16, 17, 17]);
    // Rounding up each share: 10 over three is 4/4/2, not 4/3/3 (KubeFed's planner gives the same).
    expect(Object.values(obj(weighted(10, [slot('a', 100), slot('b', 100), slot('c', 100)], 'ns/x').plan)).sort()).toEqual([2, 4, 4]);
  });

  it('follows weights, gives mins first and respects max', () => {
    expect(obj(weighted(9, [slot('a', 100, { weight: 2 }), slot('b', 100, { weight: 1 })], 'k').plan)).toEqual({ a: 6, b: 3 });
    expect(obj(weighted(10, [slot('a', 100, { weight: 1 }), slot('b', 2, { weight: 9 })], 'k').plan)).toEqual({ a: 8, b: 2 });
    expect(obj(weighted(4, [slot('a', 100, { weight: 1 }), slot('b', 100, { weight: 0, min: 3 })], 'k').plan)).toEqual({ a: 1, b: 3 });
  });

  it('reports what no member can take', () => {
    const d = weighted(10, [slot('a', 3), slot('b', 4)], 'k');
    expect(obj(d.plan)).toEqual({ a: 3, b: 4 });
    expect(d.remaining).toBe(3);
  });
});

describe('waterFill (worst fit per replica)', () => {
  it('puts each replica where the most room is left', () => {
    // rooms 20, 20, 10, 10, 10; 10 replicas: the two big members take them, leaving 15/15/10/10/10.
    const d = waterFill(10, [slot('c1', 20), slot('c5', 20), slot('c2', 10), slot('c3', 10), slot('c4', 10)]);
    expect(obj(d.plan)).toEqual({ c1: 5, c5: 5, c2: 0, c3: 0, c4: 0 });
    // 30 replicas: the room left levels at L where 2(20 - L) + 3(10 - L) = 30, L = 8.
    expect(obj(waterFill(30, [slot('c1', 20), slot('c5', 20), slot('c2', 10), slot('c3', 10), slot('c4', 10)]).plan)).toEqual({ c1: 12, c5: 12, c2: 2, c3: 2, c4: 2 });
  });

  it('breaks ties in the given order and leaves the rest', () => {
    expect(obj(waterFill(3, [slot('a', 4), slot('b', 4)]).plan)).toEqual({ a: 2, b: 1 });
    const d = waterFill(9, [slot('a', 4), slot('b', 4)]);
    expect(obj(d.plan)).toEqual({ a: 4, b: 4 });
    expect(d.remaining).toBe(1);
  });

  it('ranks by room but stops at max (a preference below capacity)', () => {
    expect(obj(waterFill(6, [slot('a', 2, { room: 50 }), slot('b', 10, { room: 10 })]).plan)).toEqual({ a: 2, b: 4 });
  });
});

describe('fill (best fit in order)', () => {
  it('fills each member in order', () => {
    expect(obj(fill(7, [slot('a', 2), slot('b', 4), slot('c', 10)]).plan)).toEqual({ a: 2, b: 4, c: 1 });
  });
});
