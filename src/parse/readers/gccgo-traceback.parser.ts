import { FormatReader } from '../format-reader';
import { goTracebackReader, parseGoTraceback } from './go-traceback.parser';

/**
 * gccgo's tracebacks (libgo/runtime/go-callers.c, traceback_gccgo.go) open like Go's
 * (`panic:`, `goroutine 1 [running]:`) but print each frame as a bare symbol and a file
 * line without `+0x` (`main.main` / `\t/tmp/x.go:5`), with libgo's C runtime among them
 * (`runtime_mstart`, `../../../libgo/runtime/proc.c:271`). The Go reader reads those
 * pairs too; this reader exists so such a section is named for what it is (detection
 * gives it the section when its shapes score higher than Go's, see refine()).
 */
const BARE = /^[A-Za-z_.$][\w.$:<>~@-]*$/;

export const gccgoReader: FormatReader = {
  format: 'gccgo',
  description: 'gccgo traceback',
  expected: goTracebackReader.expected,
  refines: 'go',
  shapes: [
    { name: 'goroutine header', re: /^goroutine \d+ \[[^\]]*\]:$/, role: 'head' },
    { name: 'bare frame symbol `main.main`', re: BARE, role: 'strong' },
    { name: 'file line without +0x `x.go:5`', re: /^\S+\.(?:go|c):\d+$/, role: 'strong' },
    { name: 'libgo path', re: /libgo\/(?:runtime|go)\//, role: 'strong' },
  ],
  read: (lines, field) => parseGoTraceback(lines, field),
};
