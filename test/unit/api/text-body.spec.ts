import { decodeText } from '../../../src/api/text-body';

describe('decodeText', () => {
  it('names each invalid sequence by byte offset and line, up to five', () => {
    const bytes = Buffer.concat([Buffer.from('ok\nx'), Buffer.from([0xc3]), Buffer.from('\n'), Buffer.from([0xed, 0xa0, 0x80])]);
    const d = decodeText(bytes, 'text/plain');
    expect(d.text.startsWith('ok\nx\uFFFD\n')).toBe(true);
    expect(d.note).toMatch(/byte 4 \(line 2, 0xc3\)/);
    // A UTF-16 surrogate encoded in UTF-8 is invalid: each of its three bytes is one replacement.
    expect(d.note).toMatch(/at 4 places: .*byte 6 \(line 3, 0xed\), byte 7 \(line 3, 0xa0\), byte 8 \(line 3, 0x80\)/);
  });

  it('a U+FFFD sent as valid UTF-8 is no decoding problem', () => {
    expect(decodeText(Buffer.from('a\uFFFDb'), 'text/plain; charset=utf-8')).toEqual({ text: 'a\uFFFDb' });
  });

  it('another declared charset is decoded as that charset; an unknown one is said and read as UTF-8', () => {
    expect(decodeText(Buffer.from([0x93, 0x8c, 0x8b, 0x9e]), 'text/plain; charset=shift_jis')).toEqual({ text: '東京' });
    const d = decodeText(Buffer.from([0x61, 0xff]), 'text/plain; charset=x-made-up');
    expect(d.text).toBe('a\uFFFD');
    expect(d.note).toMatch(/^charset "x-made-up" is not one we know, so the body was read as UTF-8; the text\/plain body is not valid UTF-8 at 1 place: byte 1 \(line 1, 0xff\)/);
    expect(decodeText(Buffer.from('ok'), 'text/plain; charset=x-made-up').note).toBe('charset "x-made-up" is not one we know, so the body was read as UTF-8');
  });

  it('latin-1 when declared, in its usual spellings', () => {
    for (const ct of ['text/plain; charset=iso-8859-1', 'text/plain;charset="latin1"', 'text/plain; Charset=ISO8859-1']) {
      expect(decodeText(Buffer.from([0x63, 0x61, 0x66, 0xe9]), ct)).toEqual({ text: 'café' });
    }
  });

  it('more than five bad bytes: the first five, then a count', () => {
    const d = decodeText(Buffer.from(new Array(8).fill(0xff)), 'text/plain');
    expect(d.note).toMatch(/at 8 places: (byte \d \(line 1, 0xff\)(, )?){5} and 3 more/);
  });
});
