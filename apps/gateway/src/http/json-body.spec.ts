import { BodyError, parseJsonBody } from './json-body';

const parse = (text: string) => parseJsonBody(Buffer.from(text));
const problemOf = (text: string) => {
  try {
    parse(text);
  } catch (error) {
    return (error as BodyError).problem;
  }
  return 'accepted';
};

describe('parseJsonBody', () => {
  it('keeps the raw bytes of an object body', () => {
    const body = parse('{"a": 1}');
    expect(body.raw.toString()).toBe('{"a": 1}');
    expect(body.value).toEqual({ a: 1 });
  });

  it.each([['{"a":'], [''], ['{a:1}']])('calls %p malformed', (text) => expect(problemOf(text)).toBe('malformedJson'));
  it.each([['[1,2]'], ['"text"'], ['42'], ['null']])('refuses non-object %p', (text) => expect(problemOf(text)).toBe('notAnObject'));

  it('refuses __proto__ and constructor.prototype anywhere, and pollutes nothing', () => {
    expect(problemOf('{"__proto__": {"polluted": true}}')).toBe('forbiddenKey');
    expect(problemOf('{"a": {"constructor": {"prototype": {"polluted": true}}}}')).toBe('forbiddenKey');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('accepts a plain "constructor" field', () => expect(problemOf('{"constructor": "Ford"}')).toBe('accepted'));
});
