/**
 * The bureau's side of advice cases: the queue and its filters, assignment, status, notes, the reply that the
 * tracking page shows, moderation of what may appear publicly, the advice settings, exports and the one-time
 * satisfaction codes for cases handled outside Minyi. Every change is written to the audit log here, so the
 * workspace and any later interface record it alike.
 *
 * Changes are conditional updates on the state the staff member saw (FerretDB 1.24 does not isolate updates
 * of one document, so two people acting at once must not both win): the loser gets a 409 and reloads.
 */
import { randomBytes } from 'node:crypto';
import ExcelJS from 'exceljs';
import type { Types } from 'mongoose';
import { ConflictError, NotFoundError, ValidationError, type FieldProblem } from '../../errors/index.js';
import { ADVICE_STATUSES, type AdviceItem, type AdviceStatus, type SatisfactionRating } from '../../models/advice.model.js';
import type { Bureau } from '../../models/bureau.model.js';
import type { Models } from '../../models/index.js';
import type { User } from '../../models/user.model.js';
import { isBureauStaff, type Principal } from '../accounts/access.js';
import type { AccountService } from '../accounts/account.service.js';
import type { AuditLog } from '../audit/audit-log.js';
import { CSV_BOM, csvLine } from '../dashboards/exports.js';
import { calendarDay } from '../voting/vote.service.js';
import { cleanText, codePoints } from './advice-form.js';
import { hashCode, randomCode } from './tracking-codes.js';

export const CASES_PAGE_SIZE = 50;
export const REPLY_MAX = 4000;
export const NOTE_MAX = 2000;
export const MAX_CODES_PER_BATCH = 5000;

/** Moves staff may make by hand; "replied" is reached by sending a reply. */
const NEXT_STATUSES: Record<AdviceStatus, AdviceStatus[]> = {
  received: ['in-progress', 'closed'],
  'in-progress': ['closed'],
  replied: ['closed', 'in-progress'],
  closed: ['in-progress'],
};

export interface CaseFilter {
  status?: AdviceStatus;
  category?: string;
  district?: string;
  overdue?: boolean;
  search?: string;
}

export interface CaseSummary {
  id: string;
  ref: string;
  category: string;
  district: string | null;
  excerpt: string;
  status: AdviceStatus;
  receivedAt: Date;
  dueAt: Date;
  overdue: boolean;
  assignee: string | null;
  publishConsent: boolean;
  publicApproved: boolean;
}

export interface CaseDetail extends CaseSummary {
  text: string;
  locale: string;
  contact: string | null;
  reply: string | null;
  repliedAt: Date | null;
  closedAt: Date | null;
  notes: Array<{ author: string; text: string; at: Date }>;
  nextStatuses: AdviceStatus[];
  satisfaction: SatisfactionRating | null;
}

export interface BatchSummary {
  batch: string;
  label: string;
  createdAt: Date;
  codes: number;
  ratings: Record<SatisfactionRating, number>;
}

/** A short reference staff can read out on the phone; the id itself is random. */
export const caseRef = (id: string) => id.slice(0, 8).toUpperCase();

const isOpen = (status: AdviceStatus) => status === 'received' || status === 'in-progress';
const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function readCaseFilter(query: Record<string, unknown>): CaseFilter {
  const str = (value: unknown) => (typeof value === 'string' ? value.trim() : '');
  const filter: CaseFilter = {};
  const status = str(query.status);
  if ((ADVICE_STATUSES as readonly string[]).includes(status)) filter.status = status as AdviceStatus;
  if (/^[a-z0-9-]{1,40}$/.test(str(query.category))) filter.category = str(query.category);
  if (/^[a-z0-9-]{1,60}$/.test(str(query.district))) filter.district = str(query.district);
  if (str(query.overdue) === '1') filter.overdue = true;
  const search = str(query.q).slice(0, 100);
  if (search) filter.search = search;
  return filter;
}

export class AdviceCases {
  constructor(
    private readonly models: Models,
    private readonly deps: { audit: AuditLog; accounts: AccountService; secret: string },
  ) {}

  private query(bureau: Pick<Bureau, '_id'>, filter: CaseFilter, now: Date): Record<string, unknown> {
    const query: Record<string, unknown> = { bureau: bureau._id };
    if (filter.status) query.status = filter.status;
    if (filter.category) query.category = filter.category;
    if (filter.district) query.district = filter.district;
    if (filter.overdue) {
      if (filter.status && !isOpen(filter.status)) query._id = { $in: [] };
      else if (!filter.status) query.status = { $in: ['received', 'in-progress'] };
      query.dueAt = { $lt: now };
    }
    if (filter.search) {
      const pattern = escapeRegex(filter.search);
      query.$or = [{ text: { $regex: pattern, $options: 'i' } }, { reply: { $regex: pattern, $options: 'i' } }, { _id: { $regex: `^${escapeRegex(filter.search.toLowerCase())}` } }];
    }
    return query;
  }

  async list(bureau: Pick<Bureau, '_id'>, filter: CaseFilter, page = 1, now = new Date()): Promise<{ cases: CaseSummary[]; hasMore: boolean; total: number }> {
    const query = this.query(bureau, filter, now);
    const [items, total] = await Promise.all([
      this.models.AdviceItem.find(query, { notes: 0 }).sort({ dueAt: 1, _id: 1 }).skip((page - 1) * CASES_PAGE_SIZE).limit(CASES_PAGE_SIZE + 1).lean<AdviceItem[]>(),
      this.models.AdviceItem.countDocuments(query),
    ]);
    const emails = await this.staffEmails(bureau);
    return { cases: items.slice(0, CASES_PAGE_SIZE).map((item) => this.summary(item, emails, now)), hasMore: items.length > CASES_PAGE_SIZE, total };
  }

  async get(bureau: Pick<Bureau, '_id'>, id: string, now = new Date()): Promise<CaseDetail> {
    const item = await this.find(bureau, id);
    const emails = await this.staffEmails(bureau);
    const vote = await this.models.SatisfactionVote.findById(`advice:${item._id}`, { rating: 1 }).lean();
    return {
      ...this.summary(item, emails, now),
      text: item.text,
      locale: item.locale,
      contact: item.contact,
      reply: item.reply,
      repliedAt: item.repliedAt,
      closedAt: item.closedAt,
      notes: item.notes.map((note) => ({ author: emails.get(String(note.author)) ?? '—', text: note.text, at: note.at })),
      nextStatuses: NEXT_STATUSES[item.status],
      satisfaction: vote?.rating ?? null,
    };
  }

  /** Managers and analysts of the bureau: who a case may be assigned to. */
  async assignees(bureau: Bureau): Promise<Array<{ id: string; email: string; name: string }>> {
    const staff = await this.deps.accounts.listStaff(bureau._id);
    return staff.filter((user) => !user.disabled && isBureauStaff({ id: String(user._id), email: user.email, name: user.name, roles: user.roles }, bureau) && !user.roles.some((r) => r.role === 'admin')).map((user) => ({ id: String(user._id), email: user.email, name: user.name || user.email }));
  }

  async assign(bureau: Bureau, id: string, assigneeId: string, actor: Principal): Promise<void> {
    const item = await this.find(bureau, id);
    let assignee: { id: string; email: string } | null = null;
    if (assigneeId) {
      assignee = (await this.assignees(bureau)).find((person) => person.id === assigneeId) ?? null;
      if (!assignee) throw new ValidationError([{ pointer: '/assignee', message: 'Choose a manager or analyst of this bureau.', reason: 'assignee' }]);
    }
    const result = await this.models.AdviceItem.updateOne({ _id: item._id, bureau: bureau._id, assignee: item.assignee }, { $set: { assignee: assignee ? assignee.id : null } });
    if (result.matchedCount === 0) throw this.changedMeanwhile();
    await this.record(actor, 'advice.assign', bureau, item, { assignee: assignee?.email ?? '—' });
  }

  async setStatus(bureau: Bureau, id: string, status: string, actor: Principal, now = new Date()): Promise<void> {
    const item = await this.find(bureau, id);
    if (!NEXT_STATUSES[item.status].includes(status as AdviceStatus)) {
      throw new ConflictError(`A case that is ${item.status} cannot be set to ${status.slice(0, 20)}.`, { code: 'advice_status' });
    }
    const set: Partial<AdviceItem> = { status: status as AdviceStatus, closedAt: status === 'closed' ? now : null };
    const result = await this.models.AdviceItem.updateOne({ _id: item._id, bureau: bureau._id, status: item.status }, { $set: set });
    if (result.matchedCount === 0) throw this.changedMeanwhile();
    await this.record(actor, 'advice.status', bureau, item, { from: item.status, to: status });
  }

  /** Publishes (or corrects) the reply on the tracking page; the first reply's time is what the deadline is judged by. */
  async reply(bureau: Bureau, id: string, text: string, actor: Principal, now = new Date()): Promise<void> {
    const reply = cleanText(text);
    this.checkText('/reply', reply, REPLY_MAX);
    const item = await this.find(bureau, id);
    if (item.status === 'closed') throw new ConflictError('Reopen the case before replying.', { code: 'advice_closed' });
    const result = await this.models.AdviceItem.updateOne({ _id: item._id, bureau: bureau._id, status: item.status }, { $set: { reply, status: 'replied', repliedAt: item.repliedAt ?? now } });
    if (result.matchedCount === 0) throw this.changedMeanwhile();
    await this.record(actor, 'advice.reply', bureau, item, { edited: item.reply !== null });
  }

  async addNote(bureau: Bureau, id: string, text: string, actor: Principal, now = new Date()): Promise<void> {
    const note = cleanText(text);
    this.checkText('/note', note, NOTE_MAX);
    const item = await this.find(bureau, id);
    await this.models.AdviceItem.updateOne({ _id: item._id, bureau: bureau._id }, { $push: { notes: { author: actor.id, text: note, at: now } } });
    await this.record(actor, 'advice.note', bureau, item);
  }

  /** Only a text whose author allowed publication may be approved for public pages. */
  async moderate(bureau: Bureau, id: string, approve: boolean, actor: Principal): Promise<void> {
    const item = await this.find(bureau, id);
    if (approve && !item.publishConsent) throw new ConflictError('The resident did not allow this text to be published.', { code: 'advice_no_consent' });
    const result = await this.models.AdviceItem.updateOne({ _id: item._id, bureau: bureau._id, publishConsent: approve ? true : item.publishConsent }, { $set: { publicApproved: approve } });
    if (result.matchedCount === 0) throw this.changedMeanwhile();
    await this.record(actor, 'advice.moderate', bureau, item, { publicApproved: approve });
  }

  /** The advice box's categories ("id | 中文 | English" per line) and the reply deadline in working days. */
  async updateSettings(bureau: Bureau, input: { categories: string; replyWorkingDays: string }, actor: Principal): Promise<void> {
    const problems: FieldProblem[] = [];
    const categories: Bureau['adviceCategories'] = [];
    const lines = input.categories.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '');
    if (lines.length > 50) problems.push({ pointer: '/categories', message: 'At most 50 categories.', reason: 'tooMany' });
    for (const [index, line] of lines.slice(0, 50).entries()) {
      const [id = '', zh = '', en = '', ...rest] = line.split('|').map((part) => part.trim());
      if (rest.length > 0 || !/^[a-z0-9-]{1,40}$/.test(id) || !zh || !en || codePoints(zh) > 60 || codePoints(en) > 60) {
        problems.push({ pointer: '/categories', message: `Line ${index + 1} must read "id | 中文名称 | English name" (id: lower-case letters, digits, dashes).`, reason: 'line', params: { line: index + 1 } });
      } else if (categories.some((c) => c.id === id)) {
        problems.push({ pointer: '/categories', message: `The id "${id}" is used twice.`, reason: 'duplicate', params: { id } });
      } else {
        categories.push({ id, name: { 'zh-CN': zh, en } });
      }
    }
    const days = /^\d{1,2}$/.test(input.replyWorkingDays.trim()) ? Number(input.replyWorkingDays.trim()) : NaN;
    if (!(days >= 1 && days <= 60)) problems.push({ pointer: '/replyWorkingDays', message: 'The reply deadline is a whole number of working days from 1 to 60.', reason: 'days' });
    if (problems.length > 0) throw new ValidationError(problems);
    await this.models.Bureau.updateOne({ _id: bureau._id }, { $set: { adviceCategories: categories, replyWorkingDays: days } });
    await this.deps.audit.record({ actor, action: 'advice.settings', bureau: bureau._id, target: { kind: 'bureau', id: String(bureau._id), label: bureau.slug }, details: { categories: categories.length, replyWorkingDays: days } });
  }

  /** Rows for CSV, XLSX and the API: no contact details, which stay on the case page. */
  async exportRows(bureau: Bureau, filter: CaseFilter, now = new Date()): Promise<Array<Record<string, string | number | boolean | null>>> {
    const items = await this.models.AdviceItem.find(this.query(bureau, filter, now), { notes: 0, contact: 0, trackingHash: 0 }).sort({ receivedAt: -1, _id: 1 }).lean<AdviceItem[]>();
    const emails = await this.staffEmails(bureau);
    const category = new Map(bureau.adviceCategories.map((c) => [c.id, c.name['zh-CN']]));
    const district = new Map(bureau.districts.map((d) => [d.id, d.name['zh-CN']]));
    const votes = new Map(
      (await this.models.SatisfactionVote.find({ bureau: bureau._id, source: 'advice' }, { rating: 1 }).lean<Array<{ _id: string; rating: string }>>()).map((v) => [v._id.slice('advice:'.length), v.rating]),
    );
    const day = (date: Date | null) => (date ? calendarDay(date, bureau.timezone) : null);
    return items.map((item) => ({
      ref: caseRef(item._id),
      id: item._id,
      receivedDay: day(item.receivedAt),
      dueDay: day(item.dueAt),
      status: item.status,
      overdue: isOpen(item.status) && item.dueAt < now,
      category: item.category,
      categoryName: category.get(item.category) ?? item.category,
      district: item.district,
      districtName: item.district ? (district.get(item.district) ?? item.district) : null,
      text: item.text,
      reply: item.reply,
      repliedDay: day(item.repliedAt),
      assignee: item.assignee ? (emails.get(String(item.assignee)) ?? null) : null,
      publishConsent: item.publishConsent,
      publicApproved: item.publicApproved,
      satisfaction: votes.get(item._id) ?? null,
    }));
  }

  async exportFile(bureau: Bureau, filter: CaseFilter, format: 'csv' | 'xlsx', actor: Principal): Promise<Buffer> {
    const rows = await this.exportRows(bureau, filter);
    await this.deps.audit.record({ actor, action: 'advice.export', bureau: bureau._id, target: { kind: 'bureau', id: String(bureau._id), label: bureau.slug }, details: { file: format, count: rows.length } });
    const headers = rows.length > 0 ? Object.keys(rows[0]!) : ['ref'];
    if (format === 'csv') return Buffer.from(CSV_BOM + csvLine(headers) + rows.map((row) => csvLine(headers.map((h) => row[h]))).join(''));
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('advice');
    sheet.addRow(headers);
    // Cells are written as values, never formulas: a text starting with "=" stays text.
    for (const row of rows) sheet.addRow(headers.map((h) => row[h] ?? null));
    return Buffer.from(await workbook.xlsx.writeBuffer());
  }

  /** A batch of one-time codes for a list of cases handled elsewhere; the codes are returned in clear this once. */
  async createCodeBatch(bureau: Bureau, input: { label: string; count: string }, actor: Principal, now = new Date()): Promise<{ batch: string; codes: string[] }> {
    const label = cleanText(input.label);
    const count = /^\d{1,5}$/.test(input.count.trim()) ? Number(input.count.trim()) : NaN;
    const problems: FieldProblem[] = [];
    if (!label || codePoints(label) > 100) problems.push({ pointer: '/label', message: 'Name the case list (up to 100 characters).', reason: 'label' });
    if (!(count >= 1 && count <= MAX_CODES_PER_BATCH)) problems.push({ pointer: '/count', message: `Between 1 and ${MAX_CODES_PER_BATCH} codes.`, reason: 'count', params: { max: MAX_CODES_PER_BATCH } });
    if (problems.length > 0) throw new ValidationError(problems);
    const batch = `s${randomBytes(6).toString('hex')}`;
    const codes = new Set<string>();
    while (codes.size < count) codes.add(randomCode());
    const list = [...codes];
    for (let start = 0; start < list.length; start += 1000) {
      await this.models.SatisfactionCode.insertMany(
        list.slice(start, start + 1000).map((code) => ({ _id: hashCode(this.deps.secret, 'satisfaction', code), bureau: bureau._id, batch, label, createdAt: now })),
        { ordered: false },
      );
    }
    await this.deps.audit.record({ actor, action: 'advice.codes', bureau: bureau._id, target: { kind: 'bureau', id: String(bureau._id), label }, details: { batch, count } });
    return { batch, codes: list };
  }

  async codeBatches(bureau: Pick<Bureau, '_id'>): Promise<BatchSummary[]> {
    const [issued, votes] = await Promise.all([
      this.models.SatisfactionCode.aggregate<{ _id: { batch: string; label: string; createdAt: Date }; count: number }>([
        { $match: { bureau: bureau._id } },
        { $group: { _id: { batch: '$batch', label: '$label', createdAt: '$createdAt' }, count: { $sum: 1 } } },
      ]),
      this.models.SatisfactionVote.aggregate<{ _id: { batch: string; rating: SatisfactionRating }; count: number }>([
        { $match: { bureau: bureau._id, source: 'code' } },
        { $group: { _id: { batch: '$batch', rating: '$rating' }, count: { $sum: 1 } } },
      ]),
    ]);
    const byBatch = new Map<string, BatchSummary>();
    for (const row of issued) {
      const summary = byBatch.get(row._id.batch) ?? { batch: row._id.batch, label: row._id.label, createdAt: row._id.createdAt, codes: 0, ratings: { satisfied: 0, 'basically-satisfied': 0, dissatisfied: 0 } };
      summary.codes += row.count;
      byBatch.set(row._id.batch, summary);
    }
    for (const row of votes) {
      const summary = byBatch.get(row._id.batch);
      if (summary) summary.ratings[row._id.rating] = (summary.ratings[row._id.rating] ?? 0) + row.count;
    }
    return [...byBatch.values()].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  }

  private async find(bureau: Pick<Bureau, '_id'>, id: string): Promise<AdviceItem> {
    const item = /^[0-9a-f]{20}$/.test(id) ? await this.models.AdviceItem.findOne({ _id: id, bureau: bureau._id }).lean<AdviceItem>() : null;
    if (!item) throw new NotFoundError();
    return item;
  }

  private async staffEmails(bureau: Pick<Bureau, '_id'>): Promise<Map<string, string>> {
    const staff: User[] = await this.deps.accounts.listStaff(bureau._id as Types.ObjectId);
    return new Map(staff.map((user) => [String(user._id), user.email]));
  }

  private summary(item: AdviceItem, emails: Map<string, string>, now: Date): CaseSummary {
    const excerpt = [...item.text];
    return {
      id: item._id,
      ref: caseRef(item._id),
      category: item.category,
      district: item.district,
      excerpt: excerpt.length > 80 ? `${excerpt.slice(0, 80).join('')}…` : item.text,
      status: item.status,
      receivedAt: item.receivedAt,
      dueAt: item.dueAt,
      overdue: isOpen(item.status) && item.dueAt < now,
      assignee: item.assignee ? (emails.get(String(item.assignee)) ?? null) : null,
      publishConsent: item.publishConsent,
      publicApproved: item.publicApproved,
    };
  }

  private checkText(pointer: string, text: string, max: number): void {
    if (!text) throw new ValidationError([{ pointer, message: 'Write something first.', reason: 'required' }]);
    if (codePoints(text) > max) throw new ValidationError([{ pointer, message: `At most ${max} characters.`, reason: 'tooLong', params: { max } }]);
  }

  private changedMeanwhile(): ConflictError {
    return new ConflictError('Someone else changed this case meanwhile. Reload it and try again.', { code: 'advice_changed' });
  }

  private async record(actor: Principal, action: string, bureau: Pick<Bureau, '_id'>, item: AdviceItem, details: Record<string, unknown> = {}): Promise<void> {
    await this.deps.audit.record({ actor, action, bureau: bureau._id, target: { kind: 'advice', id: item._id, label: caseRef(item._id) }, details });
  }
}
