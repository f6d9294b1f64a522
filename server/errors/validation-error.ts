import { AppError } from './app-error.js';

/** One problem with the input: where it is (a JSON pointer) and what is wrong, in words a person can act on. */
export interface FieldProblem {
  pointer: string;
  message: string;
  /** Machine-readable reason, e.g. the AJV keyword, so pages can translate it. */
  reason?: string;
  params?: Record<string, unknown>;
}

export class ValidationError extends AppError {
  readonly problems: FieldProblem[];

  constructor(problems: FieldProblem[], message = 'Some of the input is not valid.') {
    super(422, 'validation_failed', message, { details: problems });
    this.problems = problems;
  }
}
