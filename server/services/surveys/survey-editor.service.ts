/** What bureau staff do to surveys: create (from a template, blank, or imported JSON), edit, move through their lifecycle, copy, delete. */
import type { Types } from 'mongoose';
import { ConflictError, ValidationError } from '../../errors/index.js';
import type { Bureau } from '../../models/bureau.model.js';
import type { Models } from '../../models/index.js';
import type { SurveyDefinition } from '../../models/survey-definition.types.js';
import type { Survey, SurveyStatus } from '../../models/survey.model.js';
import type { Principal } from '../accounts/access.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { TallyService } from '../tallies/tally.service.js';
import { effectiveStatus } from '../voting/survey-availability.js';
import type { SurveyDirectory } from '../voting/survey-directory.js';
import type { SurveyDefinitionValidator } from './survey-definition-validator.js';
import { structuralChanges } from './survey-structure.js';
import type { SurveyTemplate } from './survey-templates.js';

export type LifecycleAction = 'open' | 'close' | 'schedule' | 'unschedule' | 'archive' | 'reopen';

/** Which actions each (effective) status allows. */
export const LIFECYCLE: Record<SurveyStatus, LifecycleAction[]> = {
  draft: ['open', 'schedule'],
  scheduled: ['open', 'schedule', 'unschedule'],
  open: ['close', 'schedule'],
  closed: ['reopen', 'archive'],
  archived: [],
};

const PAST_TENSE: Record<LifecycleAction, string> = { open: 'opened', close: 'closed', schedule: 'scheduled', unschedule: 'unscheduled', archive: 'archived', reopen: 'reopened' };

export function definitionOf(survey: Pick<Survey, 'slug' | 'defaultLocale' | 'title' | 'description' | 'settings' | 'questions'>): SurveyDefinition {
  return { slug: survey.slug, defaultLocale: survey.defaultLocale, title: survey.title, description: survey.description, settings: survey.settings, questions: survey.questions };
}

export class SurveyEditor {
  constructor(
    private readonly models: Models,
    private readonly deps: { validator: SurveyDefinitionValidator; tallies: TallyService; directory: SurveyDirectory; audit: AuditLog; templates: Map<string, SurveyTemplate> },
  ) {}

  async responseCount(survey: Pick<Survey, '_id'>): Promise<number> {
    return (await this.deps.tallies.get(survey._id)).total;
  }

  /**
   * Whether the survey has any stored answer, counted or not yet (a vote's count follows its response by a
   * moment, possibly in another process): what locks its structure.
   */
  async hasAnswers(survey: Pick<Survey, '_id'>): Promise<boolean> {
    return (await this.responseCount(survey)) > 0 || (await this.models.Response.exists({ survey: survey._id })) !== null;
  }

  async list(bureau: Pick<Bureau, '_id'>, includeDrafts: boolean): Promise<Survey[]> {
    const filter = includeDrafts ? { bureau: bureau._id } : { bureau: bureau._id, status: { $ne: 'draft' as const } };
    return this.models.Survey.find(filter).sort({ updatedAt: -1 }).lean<Survey[]>();
  }

  async find(bureau: Pick<Bureau, '_id'>, slug: string): Promise<Survey | null> {
    return this.models.Survey.findOne({ bureau: bureau._id, slug: String(slug) }).lean<Survey>();
  }

  /** Validates and stores a definition as a new draft; the slug gets a suffix when the bureau already uses it. */
  async create(bureau: Pick<Bureau, '_id'>, input: unknown, actor: Principal, template: string | null = null): Promise<Survey> {
    const definition = this.deps.validator.validate(input);
    const slug = await this.freeSlug(bureau._id, definition.slug);
    const created = await this.models.Survey.create({ ...definition, slug, bureau: bureau._id, template, status: 'draft' });
    await this.deps.tallies.ensureTally(created._id);
    this.deps.directory.invalidate();
    await this.deps.audit.record({ actor, action: 'survey.create', bureau: bureau._id, target: { kind: 'survey', id: String(created._id), label: slug }, details: { template } });
    return created.toObject();
  }

  createFromTemplate(bureau: Pick<Bureau, '_id'>, templateSlug: string, actor: Principal): Promise<Survey> {
    const template = this.deps.templates.get(templateSlug);
    if (!template) throw new ValidationError([{ pointer: '/template', message: 'Choose one of the listed templates.' }]);
    return this.create(bureau, structuredClone(template.definition), actor, template.slug);
  }

  /** Replaces the definition. After the first vote only wording may change; structure changes are refused. */
  async update(survey: Survey, input: unknown, actor: Principal): Promise<Survey> {
    const definition = this.deps.validator.validate(input);
    if (definition.slug !== survey.slug && effectiveStatus(survey) !== 'draft') {
      throw new ValidationError([{ pointer: '/slug', message: 'The address of a published survey cannot change: links and QR codes point at it.', reason: 'slug-locked' }]);
    }
    if (await this.hasAnswers(survey)) {
      const changed = structuralChanges(survey, definition);
      if (changed.length > 0) {
        throw new ConflictError(
          `This survey already has answers, so its questions and options can no longer change (only their wording). Changed: ${changed.join(', ')}. Duplicate it as a new survey to change the structure.`,
          { code: 'structure_locked', details: { questions: changed } },
        );
      }
    }
    if (definition.slug !== survey.slug) definition.slug = await this.freeSlug(survey.bureau, definition.slug);
    const updated = await this.models.Survey.findOneAndUpdate(
      { _id: survey._id },
      { $set: { ...definition }, $inc: { revision: 1 } },
      { returnDocument: 'after', lean: true },
    );
    this.deps.directory.invalidate();
    await this.deps.audit.record({ actor, action: 'survey.edit', bureau: survey.bureau, target: { kind: 'survey', id: String(survey._id), label: definition.slug }, details: { revision: (updated as Survey).revision } });
    return updated as Survey;
  }

  async transition(survey: Survey, action: LifecycleAction, actor: Principal, times: { opensAt?: Date | null; closesAt?: Date | null } = {}, now = new Date()): Promise<Survey> {
    const status = effectiveStatus(survey, now);
    if (!LIFECYCLE[status].includes(action)) {
      throw new ConflictError(`A survey that is ${status} cannot be ${PAST_TENSE[action]}.`, { code: 'invalid_transition' });
    }
    let set: Partial<Survey>;
    switch (action) {
      case 'open':
        set = { status: 'open', opensAt: now, closesAt: times.closesAt !== undefined ? times.closesAt : survey.closesAt && survey.closesAt > now ? survey.closesAt : null };
        break;
      case 'close':
        set = { status: 'closed', closesAt: now };
        break;
      case 'reopen':
        set = { status: 'open', closesAt: times.closesAt ?? null };
        break;
      case 'archive':
        set = { status: 'archived' };
        break;
      case 'unschedule':
        set = { status: 'draft', opensAt: null, closesAt: null };
        break;
      case 'schedule': {
        const opensAt = times.opensAt ?? (status === 'open' ? survey.opensAt : null);
        const closesAt = times.closesAt ?? null;
        const problems = [];
        if (status !== 'open' && (!opensAt || opensAt <= now)) problems.push({ pointer: '/opensAt', message: 'Choose an opening time in the future.', reason: 'opens-in-past' });
        if (closesAt && opensAt && closesAt <= opensAt) problems.push({ pointer: '/closesAt', message: 'The closing time must come after the opening time.', reason: 'closes-before-opens' });
        if (closesAt && closesAt <= now) problems.push({ pointer: '/closesAt', message: 'Choose a closing time in the future.', reason: 'closes-in-past' });
        if (problems.length > 0) throw new ValidationError(problems, 'The schedule is not valid.');
        set = status === 'open' ? { closesAt } : { status: 'scheduled', opensAt, closesAt };
        break;
      }
    }
    const updated = await this.models.Survey.findOneAndUpdate({ _id: survey._id }, { $set: set, $inc: { revision: 1 } }, { returnDocument: 'after', lean: true });
    this.deps.directory.invalidate();
    await this.deps.audit.record({
      actor,
      action: `survey.${action === 'open' || action === 'reopen' ? 'publish' : action}`,
      bureau: survey.bureau,
      target: { kind: 'survey', id: String(survey._id), label: survey.slug },
      details: { from: status, to: (updated as Survey).status, opensAt: (updated as Survey).opensAt, closesAt: (updated as Survey).closesAt },
    });
    return updated as Survey;
  }

  async duplicate(survey: Survey, actor: Principal): Promise<Survey> {
    const copy = definitionOf(survey);
    copy.slug = `${survey.slug.slice(0, 54)}-copy`;
    return this.create({ _id: survey.bureau }, copy, actor, survey.template);
  }

  async remove(survey: Survey, actor: Principal): Promise<void> {
    if (survey.status !== 'draft' || (await this.hasAnswers(survey))) {
      throw new ConflictError('Only drafts without answers can be deleted. Close and archive a published survey instead.', { code: 'not_a_draft' });
    }
    await this.models.Survey.deleteOne({ _id: survey._id, status: 'draft' });
    await this.deps.tallies.deleteSurvey(survey._id);
    this.deps.directory.invalidate();
    await this.deps.audit.record({ actor, action: 'survey.delete', bureau: survey.bureau, target: { kind: 'survey', id: String(survey._id), label: survey.slug } });
  }

  private async freeSlug(bureau: Types.ObjectId, wanted: string): Promise<string> {
    for (let n = 1; ; n += 1) {
      const slug = n === 1 ? wanted : `${wanted.slice(0, 56)}-${n}`;
      if (!(await this.models.Survey.exists({ bureau, slug }))) return slug;
    }
  }
}
