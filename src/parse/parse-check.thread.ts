import { ErrorCode, ErrorContext, SymbridgeError } from '../model/errors';
import { checkParse, ParseCheck } from './parse-check';
import { CrashInput } from './parse-input';

/** A SymbridgeError as it crosses a thread (a structured clone keeps an Error's message only). */
export interface ThreadError {
  code: ErrorCode;
  message: string;
  context: ErrorContext;
}

export type ThreadAnswer = ParseCheck | { error: ThreadError };

/** The parse-check thread's task (parse-check.pool.ts): our own errors come back as data, to be raised again as they were. */
export default function checkParseInThread(input: CrashInput): ThreadAnswer {
  try {
    return checkParse(input);
  } catch (err) {
    if (err instanceof SymbridgeError) return { error: { code: err.code, message: err.message, context: err.context } };
    throw err;
  }
}
