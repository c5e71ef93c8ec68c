/** Tiny argv parser: `--flag`, `--key value`, `--key=value`, positionals. */
export interface Args {
  positional: string[];
  flags: Record<string, string | true>;
}

export function parseArgs(argv: string[], valued: string[]): Args {
  const out: Args = { positional: [], flags: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      out.positional.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const key = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (eq > 0) out.flags[key] = a.slice(eq + 1);
      else if (valued.includes(key)) {
        if (i + 1 >= argv.length) throw new CliError(`--${key} needs a value`);
        out.flags[key] = argv[++i];
      } else out.flags[key] = true;
    } else if (/^-[a-z]$/i.test(a)) out.flags[a.slice(1)] = true; // -h
    else out.positional.push(a);
  }
  return out;
}

/** An error the CLI prints as one line and exits non-zero with. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
