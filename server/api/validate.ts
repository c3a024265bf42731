// zod validation of path parameters, queries and bodies, turned into one
// 400 problem that names every bad field (`body.cwd`, `query.limit`, ...).
import type { z } from 'zod';
import { badRequest, type FieldError } from './problems';

export type InputLocation = 'path' | 'query' | 'body';

const MAX_LISTED = 8;

type Issue = z.core.$ZodIssue & { input?: unknown };

function messageOf(issue: Issue): string {
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'required';
  if (issue.code === 'invalid_value') return `must be one of: ${issue.values.map((v) => String(v)).join(', ')}`;
  if (issue.code === 'invalid_type') return `must be ${article(issue.expected)}`;
  return issue.message;
}

const article = (t: string) => (t === 'array' || t === 'object' || t === 'int' || t === 'integer' ? `an ${t === 'int' ? 'integer' : t}` : `a ${t}`);

function joinPath(location: InputLocation, path: readonly PropertyKey[]): string {
  return [location, ...path.map(String)].join('.');
}

export function fieldErrors(location: InputLocation, error: z.ZodError): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of error.issues as Issue[]) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: joinPath(location, [...issue.path, key]), message: 'unknown field; remove it' });
    } else out.push({ path: joinPath(location, issue.path), message: messageOf(issue) });
  }
  return out;
}

export function describeErrors(errors: FieldError[]): string {
  const shown = errors.slice(0, MAX_LISTED).map((e) => `${e.path}: ${e.message}`);
  const more = errors.length > MAX_LISTED ? `; and ${errors.length - MAX_LISTED} more` : '';
  return `invalid request: ${shown.join('; ')}${more}`;
}

/** The parsed value, or a 400 problem listing every bad field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, location: InputLocation): z.output<S> {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  const errors = fieldErrors(location, result.error);
  throw badRequest(describeErrors(errors), errors);
}
