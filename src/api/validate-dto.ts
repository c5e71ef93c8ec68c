import { ClassConstructor, plainToInstance } from 'class-transformer';
import { validate, ValidationError } from 'class-validator';
import { SymbridgeError } from '../model/errors';

/** Validate a plain object against a DTO class: unknown fields are refused, every problem is named. */
export async function validateDto<T extends object>(cls: ClassConstructor<T>, plain: unknown, what: string): Promise<T> {
  if (typeof plain !== 'object' || plain === null || Array.isArray(plain)) {
    throw new SymbridgeError('INPUT_INVALID', `${what} must be a JSON object`);
  }
  requireShallow(plain, what);
  const dto = plainToInstance(cls, plain);
  const errors = await validate(dto, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) {
    // One problem, one message: a value failing several checks of one rule (?wait=abc) is named once.
    const details = [...new Set(flatten(errors))];
    throw new SymbridgeError('INPUT_INVALID', `invalid ${what}: ${details.join('; ')}`, { details });
  }
  return dto;
}

function flatten(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((e) => {
    const path = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((m) => (m.startsWith(e.property) ? `${path}${m.slice(e.property.length)}` : `${path}: ${m}`));
    return [...own, ...flatten(e.children ?? [], path)];
  });
}

/** Our DTOs nest a few levels; deeper JSON would only feed the transformer's recursion (a stack overflow, a 500). */
const MAX_DEPTH = 16;

function requireShallow(root: object, what: string): void {
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > MAX_DEPTH) throw new SymbridgeError('INPUT_INVALID', `${what} is nested more than ${MAX_DEPTH} levels deep`);
    for (const child of Object.values(value)) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
}
