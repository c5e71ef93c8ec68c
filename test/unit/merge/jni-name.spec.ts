import { decodeJniName, javaMethodName } from '../../../src/merge/jni-name';
import { nameJniMethods } from '../../../src/merge/jni.merger';
import { ResolvedFrame } from '../../../src/model/resolved-frame';

/**
 * JNI names per the JNI spec ("Resolving Native Method Names"); the mangled forms below
 * are what javac -h writes for the given declarations.
 */
describe('decodeJniName', () => {
  it.each([
    ['Java_Crash_run', 'Crash.run'], // the jni-crash fixture, default package
    ['Java_com_example_Foo_bar', 'com.example.Foo.bar'],
    ['Java_pkg_My_1Class_do_1it', 'pkg.My_Class.do_it'], // `_1` is `_`
    ['Java_pkg_Outer_00024Inner_m', 'pkg.Outer$Inner.m'], // `_0xxxx` is a UTF-16 unit: `$`
    ['Java_pkg_Caf_000e9_m', 'pkg.Caf\u00e9.m'],
    ['Java_pkg_Cls_m__ILjava_lang_String_2', 'pkg.Cls.m(ILjava/lang/String;)'], // overloaded: `__` + descriptor, `_2` is `;`
    ['Java_pkg_Cls_m___3B_3_3I', 'pkg.Cls.m([B[[I)'], // `_3` is `[`
    ['Java_pkg_Cls_m__', 'pkg.Cls.m()'], // the no-argument overload
    ['Java_pkg_Cls_m__Ljava_util_Map_00024Entry_2', 'pkg.Cls.m(Ljava/util/Map$Entry;)'],
    ['JavaCritical_pkg_Cls_sum___3I', 'pkg.Cls.sum([I)'], // critical natives mangle the same way
  ])('%s -> %s', (mangled, java) => {
    const n = decodeJniName(mangled);
    expect(n).toBeDefined();
    expect(javaMethodName(n!)).toBe(java);
  });

  it.each(['JavaMain', 'Java_', 'Java_run', 'jni_inner', 'Java_pkg_Cls_m.cold', 'Java_pkg__m', 'Java_pkg_Cls_m_5x'])('%s is not a JNI name', (s) => {
    expect(decodeJniName(s)).toBeUndefined();
  });
});

describe('nameJniMethods', () => {
  const frame = (kind: 'native' | 'java', fn: string): ResolvedFrame => ({
    raw: { kind, addressKind: 'return', inputLine: 1 },
    symbol: { function: fn, inlined: [], source: kind === 'java' ? 'jvm' : 'dwarf' },
  });

  it('completes the descriptor from the Java frame of the native method itself (printed under it)', () => {
    const frames = [frame('native', 'jni_inner'), frame('native', 'Java_Crash_run'), frame('java', 'Crash.run(I)I'), frame('java', 'Crash.main([Ljava/lang/String;)V')];
    nameJniMethods(frames);
    expect(frames.map((f) => f.javaMethod)).toEqual([undefined, 'Crash.run(I)I', undefined, undefined]);
  });

  it('keeps the overload descriptor when the Java frame below is another method', () => {
    const frames = [frame('native', 'Java_pkg_Cls_m__I'), frame('java', 'pkg.Other.call()V')];
    nameJniMethods(frames);
    expect(frames[0].javaMethod).toBe('pkg.Cls.m(I)');
  });

  it('an overloaded name and a matching Java frame agree on the arguments; the frame adds the return type', () => {
    const frames = [frame('native', 'Java_pkg_Cls_m__J'), frame('java', 'pkg.Cls.m(J)Z')];
    nameJniMethods(frames);
    expect(frames[0].javaMethod).toBe('pkg.Cls.m(J)Z');
  });
});
