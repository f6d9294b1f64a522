/**
 * The parts of a survey that its results depend on. Once votes are in, an edit may change wording but not
 * these: a changed option, type, scale or rule would make earlier and later answers mean different things.
 */
import type { Question, SurveyDefinition } from '../../models/survey-definition.types.js';

function questionStructure(question: Question): unknown {
  const { title: _t, help: _h, ...rest } = question as Question & { help?: unknown };
  const structural: Record<string, unknown> = { ...rest };
  if ('options' in question) structural.options = question.options.map((o) => o.id);
  if (question.type === 'rating') {
    delete structural.lowLabel;
    delete structural.highLabel;
  }
  // An unchecked box and a missing one mean the same; keys in a stable order.
  return Object.fromEntries(Object.entries(structural).filter(([, value]) => value !== false && value !== undefined).sort(([a], [b]) => a.localeCompare(b)));
}

/** Question ids whose structure differs, plus ids added or removed. */
export function structuralChanges(before: Pick<SurveyDefinition, 'questions'>, after: Pick<SurveyDefinition, 'questions'>): string[] {
  const beforeById = new Map(before.questions.map((q) => [q.id, JSON.stringify(questionStructure(q))]));
  const afterById = new Map(after.questions.map((q) => [q.id, JSON.stringify(questionStructure(q))]));
  const changed = new Set<string>();
  for (const [id, shape] of beforeById) if (afterById.get(id) !== shape) changed.add(id);
  for (const id of afterById.keys()) if (!beforeById.has(id)) changed.add(id);
  return [...changed];
}
