/**
 * Vote posts for autocannon: each request is a different resident's browser (its own CSRF cookie, form token
 * and submission id) answering every question it is shown, at random but validly. Which submissions were sent
 * and what each got back is recorded, so a benchmark can reconcile them with what the database stored.
 */
import type autocannon from 'autocannon';
import { OTHER_OPTION_ID, type Question } from '../../server/models/survey-definition.types.js';
import { visibleQuestionIds } from '../../server/services/surveys/answer-validator.js';
import type { AnswerValue } from '../../server/models/response.model.js';
import { CSRF_COOKIE, type FormTokens } from '../../server/services/voting/form-token.js';
import { FORM_TOKEN_FIELD, HONEYPOT_FIELD, otherField, rankField } from '../../server/services/voting/vote-form-parser.js';

const ADVICE = ['加强夜间巡逻', '多在学校周边执勤', 'More patrols near the market at night', '打击电信诈骗，多做宣传'];

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;

function pickDistinct<T>(items: readonly T[], count: number): T[] {
  const pool = [...items];
  for (let i = pool.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, count);
}

const between = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1));

/** A valid random answer to one question, or undefined to leave an optional question out. */
function randomAnswer(question: Question, districtIds: readonly string[]): AnswerValue | undefined {
  switch (question.type) {
    case 'single':
      return pick(question.options.map((o) => o.id));
    case 'multiple': {
      const max = Math.min(question.maxSelections ?? question.options.length, question.options.length);
      return pickDistinct(question.options.map((o) => o.id), between(Math.max(1, question.minSelections ?? 1), max));
    }
    case 'ranking':
      return pickDistinct(question.options.map((o) => o.id), Math.min(question.rankCount, question.options.length));
    case 'rating':
      return between(1, question.scale);
    case 'yes-no':
      return Math.random() < 0.3 ? 'yes' : 'no';
    case 'district':
      return districtIds.length > 0 ? pick(districtIds) : question.other ? OTHER_OPTION_ID : undefined;
    case 'text':
      return question.required || Math.random() < 0.5 ? pick(ADVICE).slice(0, question.maxLength) : undefined;
  }
}

/** Form fields (as a browser would send them) answering every question the answers so far make visible. */
export function randomVoteFields(questions: readonly Question[], districtIds: readonly string[]): Array<[string, string]> {
  const answers: Record<string, AnswerValue> = {};
  const fields: Array<[string, string]> = [];
  for (const question of questions) {
    if (question.showIf && !visibleQuestionIds(questions, answers).has(question.id)) continue;
    const answer = randomAnswer(question, districtIds);
    if (answer === undefined) continue;
    answers[question.id] = answer;
    if (question.type === 'ranking' && Array.isArray(answer)) {
      answer.forEach((id, i) => fields.push([rankField(question.id, i + 1), id]));
    } else if (Array.isArray(answer)) {
      for (const id of answer) fields.push([question.id, id]);
    } else {
      fields.push([question.id, String(answer)]);
    }
    if (answer === OTHER_OPTION_ID) fields.push([otherField(question.id), '其他地区']);
  }
  return fields;
}

interface VoteContext {
  submissionId?: string;
}

export interface VoteTarget {
  /** e.g. /b/huzhou-police/s/top-public-security-concerns */
  path: string;
  surveyId: string;
  questions: readonly Question[];
  districtIds: readonly string[];
}

/** A form post of a new browser: its CSRF cookie, and its own resident's address as Minyi sees it behind a trusted proxy. */
export function formPost(request: autocannon.Request, path: string, body: string, csrf: string): autocannon.Request {
  return {
    ...request,
    method: 'POST',
    path,
    body,
    headers: {
      ...request.headers,
      accept: 'text/html',
      'content-type': 'application/x-www-form-urlencoded',
      cookie: `${CSRF_COOKIE}=${csrf}`,
      'x-forwarded-for': `10.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}.${1 + Math.floor(Math.random() * 254)}`,
    },
  };
}

/** Builds vote requests for one survey and keeps track of every submission sent and answered. */
export class VoteRequests {
  /** Submission ids of every post built and sent. */
  readonly sent = new Set<string>();
  /** Status of each answered post, by submission id. */
  readonly answered = new Map<string, number>();
  /** Responses received in each second since the first post was built, to see whether the rate holds up. */
  readonly perSecond: number[] = [];
  private startedAt: number | undefined;

  constructor(
    private readonly tokens: FormTokens,
    private readonly target: VoteTarget,
  ) {}

  /** Sent posts that got no response: in flight when autocannon stopped and cut its connections. */
  unanswered(): string[] {
    return [...this.sent].filter((id) => !this.answered.has(id));
  }

  acceptedIds(status = 303): Set<string> {
    return new Set([...this.answered].filter(([, s]) => s === status).map(([id]) => id));
  }

  /** One autocannon request whose body, cookie and token are new for every post. */
  request(): autocannon.Request {
    const { tokens, target, sent, answered, perSecond } = this;
    const since = () => (this.startedAt ??= Date.now());
    return {
      method: 'POST',
      path: target.path,
      setupRequest(request, context) {
        const csrf = tokens.newCsrfCookie();
        const submissionId = tokens.newSubmissionId();
        const token = tokens.issue(target.surveyId, csrf, submissionId);
        const body = new URLSearchParams([[FORM_TOKEN_FIELD, token], [HONEYPOT_FIELD, ''], ...randomVoteFields(target.questions, target.districtIds)]).toString();
        (context as VoteContext).submissionId = submissionId;
        sent.add(submissionId);
        since();
        return formPost(request, target.path, body, csrf);
      },
      onResponse(status, _body, context) {
        const id = (context as VoteContext).submissionId;
        if (id !== undefined) answered.set(id, status);
        const second = Math.floor((Date.now() - since()) / 1000);
        while (perSecond.length <= second) perSecond.push(0);
        perSecond[second] = (perSecond[second] ?? 0) + 1;
      },
    };
  }
}
