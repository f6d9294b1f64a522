/**
 * Demo advice cases for the demo bureaus: a few hundred per bureau over the last five months, mostly in
 * Chinese, with the statuses, replies (some late), notes and satisfaction ratings a bureau that uses the advice
 * box would have, plus a batch of SMS satisfaction codes for cases handled at the counter. Seeded, so every
 * install gets the same texts; ids and code hashes are random (no resident holds a demo code).
 */
import { randomBytes } from 'node:crypto';
import type { AdviceItem, SatisfactionRating, SatisfactionVote } from '../../models/advice.model.js';
import type { Bureau } from '../../models/bureau.model.js';
import type { Models } from '../../models/index.js';
import { calendarMonth, replyDueAt } from '../advice/working-days.js';
import { seededRandom } from './seeded-random.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const DEMO_ADVICE_ITEMS = 300;
const DEMO_SATISFACTION_CODES = 60;

type Categories = Bureau['adviceCategories'];
type Texts = Record<string, string[]>;

const POLICE_CATEGORIES: Categories = [
  { id: 'theft', name: { 'zh-CN': '盗窃与电动车被盗', en: 'Theft and e-bike theft' } },
  { id: 'fraud', name: { 'zh-CN': '电信网络诈骗', en: 'Phone and online fraud' } },
  { id: 'traffic', name: { 'zh-CN': '交通秩序', en: 'Traffic' } },
  { id: 'patrol', name: { 'zh-CN': '治安巡逻', en: 'Patrols and public order' } },
  { id: 'noise', name: { 'zh-CN': '噪音扰民', en: 'Noise' } },
  { id: 'service', name: { 'zh-CN': '窗口服务与证件办理', en: 'Counter service and documents' } },
];

const POLICE_TEXTS: Texts = {
  theft: ['小区车棚的电动车上个月被偷了两辆，希望加装监控。', '电瓶车被偷后报警，至今没有消息，希望能有个进展说明。', '菜市场附近经常有人偷电瓶，晚上能不能多巡逻？', '自行车停在地铁口两天就被偷了，那里的监控好像是坏的。', '车库里好几家的电动车电池被盗，物业说管不了。', 'My e-bike was stolen outside the supermarket; is there a way to check the cameras?'],
  fraud: ['我母亲接到冒充公检法的电话差点转账，希望社区多做宣传。', '最近收到很多刷单返利的短信，能不能从源头上管一管？', '老年人容易被保健品推销骗，建议到小区开讲座。', '有人冒充快递客服要求退款，给了验证码后钱被转走了。', '建议在银行网点门口张贴防诈骗提醒。'],
  traffic: ['学校门口早上接送孩子时堵得厉害，希望有交警疏导。', '这个路口的红绿灯时间太短，老人过马路来不及。', '夜里经常有车改装排气管飙车，噪音很大也很危险。', '人行道上停满了车，行人只能走机动车道。', '电动车逆行、闯红灯太多了，建议加强整治。', 'Cars park on the pavement near the hospital entrance every day.'],
  patrol: ['小区后面的小路没有路灯，晚上很不安全，希望多巡逻。', '公园里晚上有人聚集喝酒闹事，建议加强巡查。', '公交站附近夜里有可疑人员徘徊，希望派出所关注。', '希望在夜市散场时段增加巡逻警力。', 'More patrols near the bus station at night would make people feel safer.'],
  noise: ['楼下烧烤店经营到凌晨两点，噪音和油烟都很大。', '广场舞音响声音太大，晚上九点以后还在跳。', '装修工地晚上十点后还在施工，多次反映没人管。', 'KTV 门口深夜经常有人大声喧哗。'],
  service: ['办理居住证排队两个小时，希望增加窗口或网上预约。', '户籍窗口的工作人员态度很好，办事效率高，点赞！', '身份证补办能不能全程网上办理？来回跑了三趟。', '希望周末也能开放出入境办证窗口。', '网上预约系统经常登录不上，希望改进。', 'Staff at the residence permit counter were very helpful, thank you.'],
};

const COURT_CATEGORIES: Categories = [
  { id: 'filing', name: { 'zh-CN': '立案', en: 'Filing cases' } },
  { id: 'enforcement', name: { 'zh-CN': '执行', en: 'Enforcement of judgments' } },
  { id: 'efficiency', name: { 'zh-CN': '审判效率', en: 'Time to judgment' } },
  { id: 'services', name: { 'zh-CN': '诉讼服务', en: 'Litigation services' } },
  { id: 'conduct', name: { 'zh-CN': '司法作风', en: 'Conduct of court staff' } },
];

const COURT_TEXTS: Texts = {
  filing: ['网上立案提交材料后一直显示审核中，不知道需要等多久。', '希望立案窗口能提供更详细的材料清单，免得来回跑。', '小额诉讼能否在手机上完成立案？'],
  enforcement: ['判决已经生效半年了，对方仍未履行，执行进度查不到。', '执行款到账太慢，希望能告知具体时间。', '被执行人有车有房却说没钱，希望加大执行力度。', 'The judgment in my favour has not been enforced after eight months.'],
  efficiency: ['劳动争议案件开庭排期太久，三个月还没开庭。', '希望简易程序的案件能更快审结。', '庭审延期没有提前通知，白跑了一趟。'],
  services: ['诉讼服务中心的指引很清楚，工作人员很耐心。', '希望提供更多的法律援助咨询时间。', '电子送达的短信链接打不开，希望改进。', '12368 热线经常占线。'],
  conduct: ['法官助理接电话态度不好，希望改进。', '调解员很专业，帮我们很快达成了协议，感谢。', 'The clerk explained the procedure clearly and patiently.'],
};

const GOVERNMENT_CATEGORIES: Categories = [
  { id: 'housing', name: { 'zh-CN': '住房与物业', en: 'Housing and property management' } },
  { id: 'roads', name: { 'zh-CN': '道路与市政设施', en: 'Roads and public works' } },
  { id: 'environment', name: { 'zh-CN': '环境卫生', en: 'Environment and sanitation' } },
  { id: 'services', name: { 'zh-CN': '政务服务', en: 'Government services' } },
  { id: 'transport', name: { 'zh-CN': '公共交通', en: 'Public transport' } },
];

const GOVERNMENT_TEXTS: Texts = {
  housing: ['老旧小区改造拖了一年还没完工，楼道里到处是建筑垃圾。', '物业费年年涨，服务却越来越差，业委会成立不了。', '电梯经常坏，老人上下楼很困难，希望加装或维修。', '公租房申请材料太多，希望简化。'],
  roads: ['这条路的井盖松动，车开过去响声很大，担心有危险。', '路灯坏了两个月没人修。', '下雨天路口积水严重，电动车经常摔倒。', '人行道砖破损，老人容易绊倒。', 'The street lights on our road have been out for weeks.'],
  environment: ['垃圾分类点的桶经常满了没人清运，气味很大。', '河道里有人倒垃圾，水发黑发臭。', '附近工厂晚上排放刺鼻气味，希望环保部门检查。', '小区绿化带被改成停车位，希望恢复。'],
  services: ['社保转移手续办了三次还没办好，各部门互相推。', '政务服务中心的自助机很方便，希望多放几台。', '希望营业执照变更能一网通办。', '12345 热线反映的问题回访很及时，满意。'],
  transport: ['早高峰公交车太挤，希望加密班次。', '新小区附近没有公交站，出行很不方便。', '地铁站到小区最后一公里没有接驳，建议开通社区巴士。', 'Bus 12 often skips our stop in the evening.'],
};

const REPLIES: Record<Bureau['kind'], string[]> = {
  police: [
    '您好，您反映的问题已转交辖区派出所核查处理，我们已在相关时段增加巡逻频次，感谢您的监督。',
    '感谢您的建议。我局已会同交警部门在该路段增派警力疏导，并将持续关注。',
    '您好，经核查，相关监控已修复，案件正在侦办中，有进展将及时告知。',
    '已联系社区民警上门开展防诈骗宣传，并在小区张贴提醒，谢谢您的关心。',
    '您好，我们已对窗口服务进行整改，增开了预约通道。',
  ],
  court: [
    '您好，您反映的执行案件已督促承办法官加快办理，近期将联系您。',
    '感谢您的意见，我院已优化立案材料清单并在官网公布。',
    '您好，已核实相关情况，对工作人员进行了批评教育，并改进工作方式。',
    '感谢您的肯定，我们将继续做好诉讼服务工作。',
  ],
  government: [
    '您好，您反映的问题已交由属地街道和主管部门办理，现已整改完毕。',
    '感谢您的建议，相关部门已将其纳入下一阶段工作计划。',
    '您好，经现场核实，已安排维修，预计一周内完成。',
    '已会同交通运输部门研究，将于下月调整线路班次。',
  ],
};

const NOTES = ['已电话联系当事人了解情况。', '已转交责任部门，等待回复。', '现场查看属实，已安排整改。', '需要与其他部门会商。'];

/** The demo bureau's advice topics, by kind. */
export function demoAdviceCategories(kind: Bureau['kind']): Categories {
  return kind === 'police' ? POLICE_CATEGORIES : kind === 'court' ? COURT_CATEGORIES : GOVERNMENT_CATEGORIES;
}

function demoTexts(kind: Bureau['kind']): Texts {
  return kind === 'police' ? POLICE_TEXTS : kind === 'court' ? COURT_TEXTS : GOVERNMENT_TEXTS;
}

const randomHash = () => randomBytes(32).toString('base64url');

/** Gives the demo bureau its advice topics and a few hundred cases, ratings and a batch of SMS codes. */
export async function seedDemoAdvice(models: Models, slug: string, now = new Date()): Promise<void> {
  const bureau = await models.Bureau.findOne({ slug }).lean<Bureau>();
  if (!bureau) return;
  const categories = demoAdviceCategories(bureau.kind);
  await models.Bureau.updateOne({ _id: bureau._id }, { $set: { adviceCategories: categories, replyWorkingDays: 5 } });
  const rand = seededRandom(`advice:${bureau.slug}`);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const texts = demoTexts(bureau.kind);
  // Some topics come up far more often (e-bike theft tops the police's list, as in the surveys).
  const weighted = categories.flatMap((c, index) => Array<string>(Math.max(1, categories.length - index)).fill(c.id));
  const staff = await models.User.find({ 'roles.bureau': bureau._id }, { _id: 1 }).lean();
  const items: AdviceItem[] = [];
  const votes: SatisfactionVote[] = [];
  for (let i = 0; i < DEMO_ADVICE_ITEMS; i += 1) {
    // More advice in recent weeks than five months ago.
    const ageDays = 150 * rand() ** 1.4;
    const sent = new Date(now.getTime() - ageDays * DAY_MS);
    const category = pick(weighted);
    const text = pick(texts[category] ?? ['希望改进工作。']);
    const district = rand() < 0.85 && bureau.districts.length > 0 ? pick(bureau.districts).id : null;
    const dueAt = replyDueAt(sent, 5, bureau.timezone);
    // Handling time: most within the deadline, some late; recent cases are still open.
    const handlingDays = 0.5 + rand() * (rand() < 0.82 ? 6 : 14);
    const repliedAt = new Date(sent.getTime() + handlingDays * DAY_MS);
    const replied = repliedAt < now && rand() < 0.95;
    const closed = replied && now.getTime() - repliedAt.getTime() > 10 * DAY_MS && rand() < 0.7;
    const status = closed ? 'closed' : replied ? 'replied' : rand() < 0.5 ? 'in-progress' : 'received';
    const publishConsent = rand() < 0.6;
    const id = randomBytes(10).toString('hex');
    items.push({
      _id: id,
      bureau: bureau._id,
      trackingHash: randomHash(),
      category,
      district,
      text,
      locale: /[\u4e00-\u9fff]/.test(text) ? 'zh-CN' : 'en',
      contact: rand() < 0.3 ? `138${String(Math.floor(rand() * 1e8)).padStart(8, '0')}` : null,
      publishConsent,
      publicApproved: publishConsent && replied && rand() < 0.5,
      status,
      assignee: status !== 'received' && staff.length > 0 ? pick(staff)._id : null,
      receivedAt: new Date(Math.floor(sent.getTime() / HOUR_MS) * HOUR_MS),
      dueAt,
      reply: replied ? pick(REPLIES[bureau.kind]) : null,
      repliedAt: replied ? repliedAt : null,
      closedAt: closed ? new Date(repliedAt.getTime() + 10 * DAY_MS) : null,
      notes: status !== 'received' && staff.length > 0 && rand() < 0.5 ? [{ author: pick(staff)._id, text: pick(NOTES), at: new Date(sent.getTime() + DAY_MS) }] : [],
    });
    if (replied && rand() < 0.6) {
      const late = repliedAt > dueAt;
      const roll = rand();
      const rating: SatisfactionRating = roll < (late ? 0.5 : 0.8) ? 'satisfied' : roll < (late ? 0.8 : 0.95) ? 'basically-satisfied' : 'dissatisfied';
      votes.push({ _id: `advice:${id}`, bureau: bureau._id, source: 'advice', batch: null, rating, comment: rating === 'dissatisfied' && rand() < 0.5 ? '答复太笼统，问题没有真正解决。' : null, month: calendarMonth(new Date(repliedAt.getTime() + DAY_MS), bureau.timezone) });
    }
  }
  await models.AdviceItem.insertMany(items, { ordered: false });

  // Cases handled at the counter or by the hotline, rated with codes sent by SMS (the Nanchang flow).
  const batch = `s${randomBytes(6).toString('hex')}`;
  const issued = new Date(now.getTime() - 20 * DAY_MS);
  const codes = Array.from({ length: DEMO_SATISFACTION_CODES }, randomHash);
  await models.SatisfactionCode.insertMany(codes.map((hash) => ({ _id: hash, bureau: bureau._id, batch, label: '12345 热线回访', createdAt: issued })), { ordered: false });
  for (const hash of codes.slice(0, Math.floor(DEMO_SATISFACTION_CODES * 0.7))) {
    const roll = rand();
    votes.push({ _id: `code:${hash}`, bureau: bureau._id, source: 'code', batch, rating: roll < 0.85 ? 'satisfied' : roll < 0.97 ? 'basically-satisfied' : 'dissatisfied', comment: null, month: calendarMonth(new Date(issued.getTime() + rand() * 10 * DAY_MS), bureau.timezone) });
  }
  await models.SatisfactionVote.insertMany(votes, { ordered: false });
}
