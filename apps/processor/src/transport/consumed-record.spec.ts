import { ProtocolError } from '@flowgate/contracts';
import { recordObject, writableHeaders } from './consumed-record';

describe('recordObject', () => {
  it('reads a JSON object, UTF-8 beyond ASCII included', () => {
    expect(recordObject(Buffer.from('{"key":"zoë","by":2}'))).toEqual({ key: 'zoë', by: 2 });
  });

  it.each([
    ['no value (a tombstone)', null, 'value is empty'],
    ['an empty value', Buffer.alloc(0), 'value is empty'],
    ['bytes that are not UTF-8', Buffer.from([0xff, 0xfe, 0x00, 0x81]), 'value is not UTF-8'],
    // Decoded leniently this would be {"key":"\ufffd"}: valid JSON, and another key.
    ['a JSON object with a byte that is not UTF-8 in a string', Buffer.concat([Buffer.from('{"key":"'), Buffer.from([0xc0]), Buffer.from('"}')]), 'value is not UTF-8'],
    ['text that is not JSON', Buffer.from('not json'), /^value is not JSON: /],
    ['an array', Buffer.from('[1,2]'), 'value is not a JSON object (an array)'],
    ['a number', Buffer.from('42'), 'value is not a JSON object (a number)'],
    ['a string', Buffer.from('"text"'), 'value is not a JSON object (a string)'],
    ['null', Buffer.from('null'), 'value is not a JSON object (null)'],
    ['a nested __proto__ key', Buffer.from('{"key":"k","by":{"__proto__":{"admin":true}}}'), 'value has a key named __proto__ or constructor.prototype'],
    ['a constructor.prototype key', Buffer.from('{"constructor":{"prototype":{"admin":true}}}'), 'value has a key named __proto__ or constructor.prototype'],
  ])('refuses %s, naming the problem', (_what, value, message) => {
    expect(() => recordObject(value)).toThrow(ProtocolError);
    expect(() => recordObject(value)).toThrow(message);
  });
});

describe('writableHeaders', () => {
  it('keeps bytes and repeats as consumed, and writes a null value (which kafkajs cannot) as empty', () => {
    const bytes = Buffer.from([0xff, 0x00]);
    expect(writableHeaders({ a: bytes, b: [Buffer.from('1'), Buffer.from('2')], c: null, d: [null, 'x'], e: undefined })).toEqual({
      a: bytes,
      b: [Buffer.from('1'), Buffer.from('2')],
      c: Buffer.alloc(0),
      d: [Buffer.alloc(0), 'x'],
    });
    expect(writableHeaders(undefined)).toEqual({});
  });
});
