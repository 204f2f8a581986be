import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareCodePoints, firstInOrder } from './collections.js';

describe('firstInOrder', () => {
  it.each([
    [[], 3, []],
    [['b', 'a'], 3, ['a', 'b']],
    [['c', 'a', 'b'], 2, ['a', 'b']],
    // Past the size where everything is sorted: the same first values, found by insertion.
    [Array.from({ length: 50 }, (_, i) => `k${49 - i}`), 3, ['k0', 'k1', 'k10']],
    // Code points, not the locale: `Z` before `a`, an astral character after every BMP one below the surrogates.
    [['a', 'Z', '😀', 'é'], 4, ['Z', 'a', 'é', '😀']],
  ])('%j, first %i → %j', (values, count, first) => {
    expect(firstInOrder(new Set(values), count)).toEqual(first);
  });

  it('is the start of the sorted values, whatever their number and order', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ maxLength: 4 }), { maxLength: 200 }), fc.nat(30), (values, count) => {
        expect(firstInOrder(new Set(values), count)).toEqual([...values].sort(compareCodePoints).slice(0, count));
      }),
    );
  });
});
