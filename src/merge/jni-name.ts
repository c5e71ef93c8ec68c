/**
 * JNI native method names (JNI spec, "Resolving Native Method Names"): `Java_` +
 * mangled class (`/` as `_`) + `_` + mangled method, and for overloaded methods `__` +
 * the mangled argument descriptor. Escapes: `_1` `_`, `_2` `;`, `_3` `[`, `_0xxxx` the
 * UTF-16 unit xxxx. An `_` followed by anything else is a separator, so `__` can only
 * start the signature. `JavaCritical_` names (critical natives) mangle the same way.
 */
export interface JniName {
  /** Dotted class name, `$` for nested classes: `com.example.Outer$Inner`. */
  className: string;
  method: string;
  /** The argument descriptor of an overloaded method, e.g. `ILjava/lang/String;`. */
  args?: string;
}

const PREFIX = /^(?:Java|JavaCritical)_/;

export function decodeJniName(symbol: string): JniName | undefined {
  const m = PREFIX.exec(symbol);
  if (!m) return undefined;
  const body = symbol.slice(m[0].length);
  const parts: string[] = [''];
  let args: string | undefined;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '_') {
      if (!/[A-Za-z0-9$]/.test(c)) return undefined; // not a mangled name (e.g. `Java_x.cold`)
      parts[parts.length - 1] += c;
      continue;
    }
    const next = body[i + 1];
    const esc = escape(body, i);
    if (esc) {
      parts[parts.length - 1] += esc.text;
      i += esc.length - 1;
    } else if (next !== undefined && next >= '0' && next <= '9') {
      return undefined; // a bad escape (`_5`, `_0` without 4 hex digits): no Java identifier starts with a digit
    } else if (next === '_') {
      const decoded = decodeDescriptor(body.slice(i + 2));
      if (decoded === undefined) return undefined;
      args = decoded;
      break;
    } else parts.push('');
  }
  if (parts.length < 2 || parts.some((p) => p === '')) return undefined;
  const method = parts.pop()!;
  return { className: parts.join('.'), method, args };
}

/** `pkg.Cls.m` or, with the descriptor known, `pkg.Cls.m(sig)`. */
export function javaMethodName(n: JniName, descriptor = n.args !== undefined ? `(${n.args})` : undefined): string {
  return `${n.className}.${n.method}${descriptor ?? ''}`;
}

function escape(s: string, i: number): { text: string; length: number } | undefined {
  const d = s[i + 1];
  if (d === '1') return { text: '_', length: 2 };
  if (d === '2') return { text: ';', length: 2 };
  if (d === '3') return { text: '[', length: 2 };
  if (d === '0') {
    const hex = s.slice(i + 2, i + 6);
    if (!/^[0-9a-f]{4}$/i.test(hex)) return undefined;
    return { text: String.fromCharCode(parseInt(hex, 16)), length: 6 };
  }
  return undefined;
}

/** The mangled argument descriptor: `_` is `/`, escapes as in names. */
function decodeDescriptor(s: string): string | undefined {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '_') {
      if (!/[A-Za-z0-9$]/.test(s[i])) return undefined;
      out += s[i];
      continue;
    }
    const esc = escape(s, i);
    if (esc) {
      out += esc.text;
      i += esc.length - 1;
    } else if (/[0-9]/.test(s[i + 1] ?? '')) return undefined;
    else out += '/';
  }
  return out;
}
