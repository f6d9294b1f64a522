/**
 * Demo data for the concerns page and the accountability page: a few hundred microblog comments per demo
 * bureau and a few "you said, we did" actions, so a fresh `npm start` shows both pages with something in them.
 */
import type { Bureau } from '../../models/bureau.model.js';
import type { Models } from '../../models/index.js';
import type { Survey } from '../../models/survey.model.js';
import type { ConcernsService } from '../concerns/concerns.service.js';
import { microblogComments } from './microblog-comments.js';

const DEMO_COMMENTS = 320;
const DAY_MS = 86_400_000;

interface DemoAction {
  concern: string;
  title: { 'zh-CN': string; en: string };
  body: { 'zh-CN': string; en: string };
  status: 'planned' | 'in-progress' | 'done';
  startedDaysAgo: number;
  endedDaysAgo?: number;
}

const ACTIONS: Record<Bureau['kind'], DemoAction[]> = {
  police: [
    { concern: 'ebike-theft', status: 'done', startedDaysAgo: 40, endedDaysAgo: 10, title: { 'zh-CN': '电动车防盗专项行动', en: 'E-bike theft crackdown' }, body: { 'zh-CN': '在被盗最多的小区和地铁口加装监控 46 处，夜间巡逻增加一倍，抓获盗窃团伙 2 个，免费安装防盗芯片 3,200 辆。', en: 'Added 46 cameras at the estates and metro exits with the most thefts, doubled night patrols, arrested two theft rings and fitted 3,200 e-bikes with free anti-theft chips.' } },
    { concern: 'telecom-fraud', status: 'in-progress', startedDaysAgo: 20, title: { 'zh-CN': '反诈宣传进社区', en: 'Anti-fraud talks in every neighbourhood' }, body: { 'zh-CN': '民警每周到社区和老年大学讲解冒充公检法、刷单等骗局，已覆盖 38 个社区。', en: 'Officers explain fake-police and click-farming scams at community centres and senior colleges every week; 38 neighbourhoods so far.' } },
  ],
  court: [
    { concern: 'enforcement', status: 'done', startedDaysAgo: 45, endedDaysAgo: 5, title: { 'zh-CN': '执行攻坚专项行动', en: 'Judgment enforcement drive' }, body: { 'zh-CN': '集中清理长期未执结案件 512 件，对失信被执行人采取限制消费措施，执行到位金额 1.2 亿元。', en: 'Cleared 512 long-running enforcement cases, restricted spending by defaulting debtors and recovered 120 million yuan.' } },
    { concern: 'case-filing', status: 'in-progress', startedDaysAgo: 14, title: { 'zh-CN': '12368 热线扩容', en: 'More lines for the 12368 hotline' }, body: { 'zh-CN': '12368 诉讼服务热线座席由 6 个增至 12 个，网上立案材料退回须写明原因。', en: 'The 12368 court hotline goes from 6 to 12 operators; returned online filings must now state the reason.' } },
  ],
  government: [
    { concern: 'garbage', status: 'in-progress', startedDaysAgo: 6, title: { 'zh-CN': '垃圾清运频次加密', en: 'More frequent rubbish collection' }, body: { 'zh-CN': '老城区垃圾清运由每日一次改为每日两次，新增分类督导员 120 名。', en: 'Rubbish in the old town is now collected twice a day instead of once, with 120 more sorting guides.' } },
    { concern: 'public-transport', status: 'planned', startedDaysAgo: 1, title: { 'zh-CN': '公交线网优化', en: 'Bus network review' }, body: { 'zh-CN': '根据留言调整 5 条公交线路，末班车延后至 22:30。', en: 'Five bus routes will change following residents’ messages; the last buses will run until 22:30.' } },
  ],
};

const day = (date: Date) => date.toISOString().slice(0, 10);

export async function seedDemoConcerns(models: Models, concerns: ConcernsService, bureau: Bureau, now = new Date()): Promise<void> {
  const comments = microblogComments({ seed: `demo/${bureau.slug}`, kind: bureau.kind, city: bureau.city['zh-CN'].replace(/市$/, ''), districts: bureau.districts.map((d) => d.id), count: DEMO_COMMENTS, now });
  await concerns.addPosts(bureau, comments, now);
  const actions = ACTIONS[bureau.kind].map((action) => ({
    bureau: bureau._id,
    title: action.title,
    body: action.body,
    status: action.status,
    startedOn: day(new Date(now.getTime() - action.startedDaysAgo * DAY_MS)),
    endedOn: action.endedDaysAgo === undefined ? null : day(new Date(now.getTime() - action.endedDaysAgo * DAY_MS)),
    evidence: { kind: 'concern' as const, concern: action.concern },
    createdBy: 'demo',
    createdAt: now,
    updatedAt: now,
  }));
  // One action answers a survey result: the first choice question of the bureau's first survey.
  const survey = await models.Survey.findOne({ bureau: bureau._id }).sort({ createdAt: 1 }).lean<Survey>();
  const question = survey?.questions.find((q) => q.type === 'single' || q.type === 'ranking' || q.type === 'yes-no');
  if (survey && question) {
    actions.push({
      bureau: bureau._id,
      title: { 'zh-CN': '根据问卷结果调整工作重点', en: 'Priorities set from the survey results' },
      body: { 'zh-CN': `“${question.title['zh-CN']}”的结果已写入本季度工作计划，下一轮问卷将检验变化。`, en: `The results of “${question.title.en}” are in this quarter’s work plan; the next wave of the survey will show what changed.` },
      status: 'in-progress',
      startedOn: day(new Date(now.getTime() - 3 * DAY_MS)),
      endedOn: null,
      evidence: { kind: 'question', survey: survey._id, question: question.id } as never,
      createdBy: 'demo',
      createdAt: now,
      updatedAt: now,
    });
  }
  await models.AccountabilityAction.insertMany(actions);
}
