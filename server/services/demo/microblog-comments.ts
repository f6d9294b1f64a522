/**
 * Plausible microblog comments addressed to a bureau, for the demo and the concerns benchmark: short posts
 * about the topics police, courts and city governments hear about, in Chinese with some English, spread over
 * the last weeks with a rising topic. Seeded, so every install and every bench run gets the same comments.
 */
import type { BureauKind } from '../../models/bureau.model.js';
import { seededRandom } from './seeded-random.js';

const DAY_MS = 86_400_000;

export interface GeneratedComment {
  text: string;
  postedAt: Date;
  district: string | null;
}

const PLACES = ['小区楼下', '菜市场门口', '地铁口', '学校门口', '公司楼下', '单元门口', '超市门口', '老街', '火车站附近', '公园旁边'];
const WHEN = ['昨晚', '今天早上', '前天夜里', '上周', '刚刚', '这几天', '最近'];
const TAILS = ['', '', '', '希望尽快处理！', '已经不是第一次了。', '求关注！', '谢谢！', '@平安{city}', '#{city}#', '麻烦相关部门管一管。', '大家注意！'];

/** Templates per topic; {place}, {when} and {city} are filled in. Weighted by bureau kind below. */
const TOPICS: Record<string, string[]> = {
  ebike: ['{when}{place}的电瓶车又被偷了', '我的电动车{when}在{place}被盗，监控也看不清', '{place}偷电瓶的太猖狂了', '小电驴停在{place}一晚上就不见了', 'My e-bike was stolen {en} near the station', '电动车被偷报警登记了，一直没消息', '{place}的电动车三天丢了两辆'],
  fraud: ['接到冒充公检法的诈骗电话，差点上当', '刷单被骗了两万，大家千万别信', '我妈{when}又接到骗子电话', '网络诈骗太多了，多给老人宣传反诈', 'Got another scam call pretending to be the police', '冒充客服的诈骗短信天天收到'],
  parking: ['{place}乱停车，人行道都走不了', '{place}违停严重，消防通道被堵', '小区车位太少，停车难', '老小区没有车位，晚上找不到地方停'],
  traffic: ['{when}早高峰堵车堵到怀疑人生', '{place}路口拥堵，红绿灯时间能不能调一下', 'Traffic jams on the bridge every evening', '放学时候校门口塞车严重'],
  noise: ['{place}广场舞太吵了，晚上十点还在放', '楼上装修的噪音从早到晚', '夜里烧烤摊吵得睡不着，扰民', 'Loud music from the bar every night'],
  ebikeTraffic: ['电动车闯红灯逆行太多了', '外卖电瓶车逆行还不戴头盔', '{place}电动车闯红灯，差点撞到孩子'],
  racing: ['半夜有人在江边飙车炸街', '改装车轰油门扰民，{when}又来了'],
  burglary: ['{when}家里被入室盗窃，门锁被撬', '邻居家被撬锁进了小偷', '老小区一楼被翻窗入室'],
  police: ['报警后等了一个小时才出警，太慢了', '打了110说在路上，半天没人来', '民警出警很快，点赞'],
  idcard: ['办身份证排队两个小时', '户口迁移要跑好几个地方', '居住证办理材料太多'],
  enforcement: ['判决生效半年了对方还不还钱，执行难', '申请强制执行后一直没进展', '老赖开豪车，为什么执行不了', 'We won the case but the judgment was never enforced'],
  caseDelay: ['案件审理太慢了，一年多还没开庭', '离婚官司拖了八个月没判决', '二审迟迟不开庭也没人通知'],
  filing: ['网上立案材料被退回三次也不说原因', '打12368一直占线', '联系法官太难，电话打不通'],
  wages: ['工地拖欠工资半年，农民工回不了家', '公司三个月不发工资，讨薪无门', 'I have not been paid for three months'],
  garbage: ['{place}垃圾桶满了几天没人清运', '垃圾分类最后还是混在一起收', '河边乱扔垃圾，臭得不行', 'Rubbish bins overflowing every weekend'],
  transport: ['公交班次太少，等车半小时', '末班车太早了，加班回不了家', '新小区附近没有公交站'],
  lights: ['{place}路灯坏了一个月，晚上黑漆漆的', '那段路没有路灯，骑车很危险'],
  roads: ['路面坑坑洼洼，下雨全是水坑', '人行道地砖破损，老人容易绊倒'],
  flooding: ['一下雨{place}就积水', '下水道堵塞，污水冒到路面'],
  property: ['物业费年年涨，服务越来越差', '物业公司不作为，门禁坏了三个月'],
  dogs: ['遛狗不牵绳，孩子被吓哭', '流浪狗成群在学校附近转'],
  smoking: ['餐馆里还有人抽烟，控烟执行不了', '电梯里有人吸烟，全是烟味'],
  other: ['今天天气真好，湖边散步很舒服', '感谢社区民警帮忙找回走失的老人', '新开的图书馆很漂亮', '请问公积金怎么提取', '周末的马拉松组织得很好', '希望多建一些公园', '医院挂号太难了', '菜价最近涨得厉害', 'Love the new cycling path along the lake'],
};

const WEIGHTS: Record<BureauKind, Record<string, number>> = {
  police: { ebike: 18, fraud: 14, parking: 8, traffic: 8, noise: 6, ebikeTraffic: 6, racing: 3, burglary: 5, police: 5, idcard: 4, garbage: 2, dogs: 2, smoking: 2, other: 17 },
  court: { enforcement: 20, caseDelay: 14, filing: 12, wages: 10, fraud: 6, other: 20, property: 4 },
  government: { garbage: 14, transport: 12, parking: 10, noise: 10, lights: 6, roads: 6, flooding: 6, property: 8, dogs: 5, smoking: 4, traffic: 6, other: 18 },
};

/** The topic that rises in the last week for each kind of bureau, so the trend column has something to say. */
const RISING: Record<BureauKind, string> = { police: 'ebike', court: 'enforcement', government: 'garbage' };

const EN_WHEN = ['last night', 'this morning', 'yesterday', 'again'];
const EN_TAILS = ['', '', ' Please help!', ' Not the first time.', ' #SafeCity', ' Thanks.'];

export function microblogComments(options: { seed: string; kind: BureauKind; city: string; districts: string[]; count: number; now: Date; days?: number }): GeneratedComment[] {
  const next = seededRandom(options.seed);
  const weights = Object.entries(WEIGHTS[options.kind]);
  const total = weights.reduce((sum, [, w]) => sum + w, 0);
  const days = options.days ?? 56;
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!;
  const comments: GeneratedComment[] = [];
  for (let i = 0; i < options.count; i += 1) {
    let roll = next() * total;
    let topic = weights[0]![0];
    for (const [name, weight] of weights) {
      roll -= weight;
      if (roll < 0) {
        topic = name;
        break;
      }
    }
    // A third of the rising topic's posts fall in the last week.
    const recent = topic === RISING[options.kind] && next() < 0.33;
    const age = recent ? next() * 7 : next() * days;
    const template = pick(TOPICS[topic]!);
    const text = `${template}${/^[A-Za-z]/.test(template) ? pick(EN_TAILS) : pick(TAILS)}`
      .replace('{place}', pick(PLACES))
      .replace('{when}', pick(WHEN))
      .replace('{en}', pick(EN_WHEN))
      .replace(/\{city\}/g, options.city);
    const district = next() < 0.8 ? options.districts[Math.floor(options.districts.length * next() ** 1.6)] ?? null : null;
    // Seconds make posts with the same words distinct posts, as they are on a microblog.
    comments.push({ text, postedAt: new Date(Math.floor((options.now.getTime() - age * DAY_MS) / 1000) * 1000), district });
  }
  return comments;
}
