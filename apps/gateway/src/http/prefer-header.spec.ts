import { parsePrefer } from './prefer-header';

describe('parsePrefer', () => {
  it.each([
    [undefined, undefined],
    ['return=minimal', undefined],
    ['wait=5', undefined],
    ['respond-async', { waitMs: 0 }],
    ['RESPOND-ASYNC', { waitMs: 0 }],
    ['respond-async, wait=10', { waitMs: 10_000 }],
    ['wait=3,respond-async', { waitMs: 3_000 }],
    [['return=minimal; foo="a,b"', 'respond-async ,  wait=0'], { waitMs: 0 }],
    ['respond-async, wait=2, wait=9', { waitMs: 2_000 }],
    ['handling=lenient, respond-async;x=1', { waitMs: 0 }],
  ])('reads %p', (header, async) => {
    expect(parsePrefer(header)).toEqual(async === undefined ? { ok: true } : { ok: true, async });
  });

  it.each([
    ['respond-async=yes', /takes no value/],
    ['respond-async, wait', /wait must be a whole number/],
    ['respond-async, wait=-1', /wait must be a whole number/],
    ['respond-async, wait=1.5', /wait must be a whole number/],
    ['respond-async, wait=ten', /wait must be a whole number/],
    ['respond-async, wait=99999999999', /wait must be a whole number/],
    ['respond async', /is not a preference/],
    ['foo="unterminated', /is not a preference/],
    ['=5', /is not a preference/],
  ])('refuses %p', (header, detail) => {
    expect(parsePrefer(header)).toEqual({ ok: false, detail: expect.stringMatching(detail) });
  });
});
