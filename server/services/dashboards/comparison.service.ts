/**
 * Comparison across bureaus of the surveys made from one template (e.g. the quarterly "top concern"
 * survey in every district bureau): each bureau's latest wave, its ranking of concerns, and the change
 * since its previous wave. Counts come from tallies only.
 */
import type { Bureau } from '../../models/bureau.model.js';
import type { Models } from '../../models/index.js';
import type { RankingQuestion } from '../../models/survey-definition.types.js';
import type { Survey } from '../../models/survey.model.js';
import type { TallyService } from '../tallies/tally.service.js';
import { rankingSummary, type RankingItem } from './statistics.js';

export interface Wave {
  survey: Survey;
  total: number;
  /** Respondents who answered the ranking question. */
  answered: number;
  items: RankingItem[];
}

export interface BureauComparison {
  bureau: Bureau;
  latest: Wave;
  previous: Wave | null;
}

export interface Comparison {
  question: RankingQuestion;
  rows: BureauComparison[];
  /** Item ids by their points per respondent over every bureau's latest wave, highest first. */
  order: string[];
}

/** Surveys the dashboards may compare: published ones, newest wave first. */
const waveOrder = (a: Survey, b: Survey) => (b.opensAt?.getTime() ?? 0) - (a.opensAt?.getTime() ?? 0) || b.createdAt.getTime() - a.createdAt.getTime();

export class ComparisonService {
  constructor(
    private readonly models: Models,
    private readonly tallies: TallyService,
  ) {}

  /**
   * Templates used by any of the given bureaus, for links to their comparison: a planner who may read one
   * bureau still compares its waves, and learns the page exists before a second bureau runs the survey.
   */
  async comparableTemplates(bureauIds: Bureau['_id'][]): Promise<string[]> {
    const rows = await this.models.Survey.aggregate<{ _id: { template: string; bureau: unknown } }>([
      { $match: { template: { $ne: null }, status: { $in: ['open', 'closed', 'archived'] }, bureau: { $in: bureauIds } } },
      { $group: { _id: { template: '$template', bureau: '$bureau' }, surveys: { $sum: 1 } } },
    ]);
    const bureausPerTemplate = new Map<string, number>();
    for (const row of rows) bureausPerTemplate.set(row._id.template, (bureausPerTemplate.get(row._id.template) ?? 0) + 1);
    return [...bureausPerTemplate.keys()].sort();
  }

  async compare(template: string, bureaus: Bureau[]): Promise<Comparison | null> {
    const surveys = (await this.models.Survey.find({ template, bureau: { $in: bureaus.map((b) => b._id) }, status: { $in: ['open', 'closed', 'archived'] } }).lean<Survey[]>()).sort(waveOrder);
    const question = surveys[0]?.questions.find((q): q is RankingQuestion => q.type === 'ranking');
    if (!question) return null;
    const tallies = await Promise.all(surveys.map((s) => this.tallies.get(s._id)));
    const tallyOf = new Map(tallies.map((t) => [String(t.survey), t]));
    const wave = (survey: Survey): Wave => {
      const tally = tallyOf.get(String(survey._id));
      const counts = tally?.questions[question.id];
      const itemIds = question.options.map((o) => o.id);
      return { survey, total: tally?.total ?? 0, answered: counts?.answered ?? 0, items: rankingSummary(counts?.ranks ?? {}, question.rankCount, counts?.answered ?? 0, itemIds) };
    };
    const rows: BureauComparison[] = [];
    for (const bureau of bureaus) {
      const own = surveys.filter((s) => String(s.bureau) === String(bureau._id) && s.questions.some((q) => q.id === question.id && q.type === 'ranking'));
      if (own.length === 0) continue;
      rows.push({ bureau, latest: wave(own[0]!), previous: own[1] ? wave(own[1]) : null });
    }
    return { question, rows, order: pooledOrder(question, rows) };
  }
}

/** Items by points per respondent over all the latest waves together (each respondent weighs the same). */
function pooledOrder(question: RankingQuestion, rows: BureauComparison[]): string[] {
  const ids = question.options.map((o) => o.id);
  const respondents = rows.reduce((sum, row) => sum + row.latest.answered, 0);
  const pooled = (id: string, key: 'bordaScore' | 'firstChoice') => rows.reduce((sum, row) => sum + (row.latest.items.find((i) => i.id === id)?.[key] ?? 0), 0);
  const points = (id: string) => (respondents > 0 ? pooled(id, 'bordaScore') / respondents : 0);
  return [...ids].sort((a, b) => points(b) - points(a) || pooled(b, 'firstChoice') - pooled(a, 'firstChoice') || ids.indexOf(a) - ids.indexOf(b));
}
