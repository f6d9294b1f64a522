/**
 * Turns a tally (of a whole survey, or of the responses a filter selects) into per-question results: counts,
 * shares, intervals, rankings. Language-neutral: labels are picked later by the page.
 */
import type { Bureau } from '../../models/bureau.model.js';
import { OTHER_OPTION_ID, type LocalizedText, type Question } from '../../models/survey-definition.types.js';
import { answerLabels } from '../results/answer-labels.js';
import type { QuestionTally } from '../../models/tally.model.js';
import { meanWithConfidence, rankingSummary, shares, smallCellProtected, topBoxShare, wilsonInterval, type MeanSummary, type RankingItem, type TopBoxSummary } from './statistics.js';

export interface OptionRow {
  id: string;
  label: LocalizedText | null;
  count: number;
  /** null when hidden by small-cell protection or nobody answered. */
  share: number | null;
}

/**
 * What a question's shares are of, said with every result: always the respondents who answered the
 * question (n); `counted` says what each respondent adds: one answer, each option chosen (shares may add
 * up to more than 100%), a ranking's first choice, a rating.
 */
export interface ResultBase {
  n: number;
  of: 'respondents';
  counted: 'one-answer' | 'each-option-chosen' | 'first-choice' | 'rating' | 'text';
  /** Fewer respondents than the small-cell threshold: shares, means and intervals hidden. */
  protected: boolean;
}

export type QuestionResult =
  | { kind: 'choice'; question: Question; answered: number; base: ResultBase; rows: OptionRow[]; multiple: boolean }
  | { kind: 'yes-no'; question: Question; answered: number; base: ResultBase; rows: OptionRow[]; yes: { share: number | null; low: number | null; high: number | null } }
  | { kind: 'rating'; question: Question; answered: number; base: ResultBase; rows: OptionRow[]; mean: MeanSummary | null; topBox: TopBoxSummary | null }
  | { kind: 'ranking'; question: Question; answered: number; base: ResultBase; items: Array<RankingItem & { label: LocalizedText | null }> }
  | { kind: 'text'; question: Question; answered: number; base: ResultBase };

export interface ResultsInput {
  questions: readonly Question[];
  bureau: Pick<Bureau, 'districts'>;
  total: number;
  tallies: Record<string, QuestionTally>;
  smallCellThreshold: number;
}

/** Every listed option in its defined order (so a bar chart reads like the question), then any others seen. */
function optionOrder(question: Question, bureau: Pick<Bureau, 'districts'>, counts: Record<string, number>): string[] {
  const listed =
    question.type === 'district' ? bureau.districts.map((d) => d.id)
    : question.type === 'yes-no' ? ['yes', 'no']
    : question.type === 'rating' ? Array.from({ length: question.scale }, (_, i) => String(i + 1))
    : 'options' in question ? question.options.map((o) => o.id)
    : [];
  const withOther = 'other' in question && question.other ? [...listed, OTHER_OPTION_ID] : listed;
  return [...withOther, ...Object.keys(counts).filter((id) => !withOther.includes(id))];
}

const COUNTED: Record<Question['type'], ResultBase['counted']> = { single: 'one-answer', 'yes-no': 'one-answer', district: 'one-answer', multiple: 'each-option-chosen', ranking: 'first-choice', rating: 'rating', text: 'text' };

export function questionResults(input: ResultsInput): QuestionResult[] {
  return input.questions.map((question): QuestionResult => {
    // A free-text question's counters hold only "answered"; an unanswered question has none at all.
    const stored = input.tallies[question.id];
    const tally: QuestionTally = { answered: stored?.answered ?? 0, options: stored?.options ?? {}, ranks: stored?.ranks ?? {} };
    const answered = tally.answered;
    // Checked against the question's own respondents: a question four people answered reveals them
    // however many answered the survey.
    const hidden = smallCellProtected(answered, input.smallCellThreshold) || smallCellProtected(input.total, input.smallCellThreshold);
    const protect = (value: number | null | undefined) => (hidden || value === undefined ? null : value);
    const base: ResultBase = { n: answered, of: 'respondents', counted: COUNTED[question.type], protected: hidden };
    const labels = answerLabels(question, input.bureau);
    const order = optionOrder(question, input.bureau, tally.options);
    const rows = (): OptionRow[] => {
      const byId = new Map(shares(tally.options, answered, order).map((s) => [s.id, s]));
      return order.map((id) => ({ id, label: labels.get(id) ?? null, count: byId.get(id)?.count ?? 0, share: protect(byId.get(id)?.share ?? null) }));
    };
    switch (question.type) {
      case 'text':
        return { kind: 'text', question, answered, base };
      case 'ranking': {
        const items = rankingSummary(tally.ranks ?? {}, question.rankCount, answered, order).map((item) => ({
          ...item,
          firstChoiceShare: protect(item.firstChoiceShare),
          bordaMean: protect(item.bordaMean),
          label: labels.get(item.id) ?? null,
        }));
        return { kind: 'ranking', question, answered, base, items };
      }
      case 'rating': {
        const mean = meanWithConfidence(tally.options);
        const topBox = answered > 0 ? topBoxShare(tally.options, question.scale) : null;
        return { kind: 'rating', question, answered, base, rows: rows(), mean: hidden ? null : mean, topBox: hidden ? null : topBox };
      }
      case 'yes-no': {
        const yes = tally.options.yes ?? 0;
        const interval = wilsonInterval(yes, answered);
        return { kind: 'yes-no', question, answered, base, rows: rows(), yes: { share: protect(answered > 0 ? yes / answered : null), low: protect(interval?.low ?? null), high: protect(interval?.high ?? null) } };
      }
      default:
        return { kind: 'choice', question, answered, base, rows: rows(), multiple: question.type === 'multiple' };
    }
  });
}
