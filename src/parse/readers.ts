import { FormatReader } from './format-reader';
import { gccgoReader } from './readers/gccgo-traceback.parser';
import { glibcBacktraceReader } from './readers/glibc-backtrace.parser';
import { goRaceReader } from './readers/go-race.parser';
import { goTracebackReader } from './readers/go-traceback.parser';
import { hsErrReader } from './readers/hs-err.parser';
import { procMapsReader } from './readers/proc-maps.parser';
import { sanitizerReader } from './readers/sanitizer.parser';
import { tombstoneReader } from './readers/tombstone.parser';

/**
 * Every format the parse stage reads, one reader each (format-reader.ts). Adding a
 * format is one file in readers/ and one line here. The order breaks ties: a line two
 * readers claim with the same role belongs to the first.
 */
export const READERS: FormatReader[] = [
  goTracebackReader,
  gccgoReader,
  goRaceReader,
  hsErrReader,
  tombstoneReader,
  sanitizerReader,
  glibcBacktraceReader,
  procMapsReader,
];
