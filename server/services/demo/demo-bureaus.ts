// Demo bureaus (with their districts and starter surveys) created on first start so a fresh install has something to show.

export interface DemoBureau {
  slug: string;
  name: { 'zh-CN': string; en: string };
  kind: 'police' | 'court' | 'government';
  region: { 'zh-CN': string; en: string };
  city: { 'zh-CN': string; en: string };
  districts: Array<{ id: string; name: { 'zh-CN': string; en: string } }>;
  timezone: string; // 'Asia/Shanghai'
  defaultLocale: 'zh-CN' | 'en';
  /** Template slugs (surveys/<slug>.json) to open for this bureau on first start. */
  surveys: string[];
}

const jinanDistricts: DemoBureau['districts'] = [
  { id: 'lixia', name: { 'zh-CN': '历下区', en: 'Lixia District' } },
  { id: 'shizhong', name: { 'zh-CN': '市中区', en: 'Shizhong District' } },
  { id: 'huaiyin', name: { 'zh-CN': '槐荫区', en: 'Huaiyin District' } },
  { id: 'tianqiao', name: { 'zh-CN': '天桥区', en: 'Tianqiao District' } },
  { id: 'licheng', name: { 'zh-CN': '历城区', en: 'Licheng District' } },
  { id: 'changqing', name: { 'zh-CN': '长清区', en: 'Changqing District' } },
  { id: 'zhangqiu', name: { 'zh-CN': '章丘区', en: 'Zhangqiu District' } },
  { id: 'jiyang', name: { 'zh-CN': '济阳区', en: 'Jiyang District' } },
  { id: 'laiwu', name: { 'zh-CN': '莱芜区', en: 'Laiwu District' } },
  { id: 'gangcheng', name: { 'zh-CN': '钢城区', en: 'Gangcheng District' } },
  { id: 'pingyin', name: { 'zh-CN': '平阴县', en: 'Pingyin County' } },
  { id: 'shanghe', name: { 'zh-CN': '商河县', en: 'Shanghe County' } },
];

export const demoBureaus: DemoBureau[] = [
  {
    slug: 'huzhou-police',
    name: { 'zh-CN': '湖州市公安局', en: 'Huzhou Municipal Public Security Bureau' },
    kind: 'police',
    region: { 'zh-CN': '浙江省', en: 'Zhejiang' },
    city: { 'zh-CN': '湖州市', en: 'Huzhou' },
    districts: [
      { id: 'wuxing', name: { 'zh-CN': '吴兴区', en: 'Wuxing District' } },
      { id: 'nanxun', name: { 'zh-CN': '南浔区', en: 'Nanxun District' } },
      { id: 'deqing', name: { 'zh-CN': '德清县', en: 'Deqing County' } },
      { id: 'changxing', name: { 'zh-CN': '长兴县', en: 'Changxing County' } },
      { id: 'anji', name: { 'zh-CN': '安吉县', en: 'Anji County' } },
    ],
    timezone: 'Asia/Shanghai',
    defaultLocale: 'zh-CN',
    surveys: ['top-public-security-concerns', 'advice-and-complaints'],
  },
  {
    slug: 'jinan-police',
    name: { 'zh-CN': '济南市公安局', en: 'Jinan Municipal Public Security Bureau' },
    kind: 'police',
    region: { 'zh-CN': '山东省', en: 'Shandong' },
    city: { 'zh-CN': '济南市', en: 'Jinan' },
    districts: jinanDistricts,
    timezone: 'Asia/Shanghai',
    defaultLocale: 'zh-CN',
    surveys: ['public-consultation-traffic-visa-fire', 'top-public-security-concerns'],
  },
  {
    slug: 'jinan-intermediate-court',
    name: { 'zh-CN': '济南市中级人民法院', en: "Jinan Intermediate People's Court" },
    kind: 'court',
    region: { 'zh-CN': '山东省', en: 'Shandong' },
    city: { 'zh-CN': '济南市', en: 'Jinan' },
    districts: jinanDistricts,
    timezone: 'Asia/Shanghai',
    defaultLocale: 'zh-CN',
    surveys: ['court-information-release-feedback'],
  },
  {
    slug: 'nanchang-government',
    name: { 'zh-CN': '南昌市人民政府', en: "Nanchang Municipal People's Government" },
    kind: 'government',
    region: { 'zh-CN': '江西省', en: 'Jiangxi' },
    city: { 'zh-CN': '南昌市', en: 'Nanchang' },
    districts: [
      { id: 'donghu', name: { 'zh-CN': '东湖区', en: 'Donghu District' } },
      { id: 'xihu', name: { 'zh-CN': '西湖区', en: 'Xihu District' } },
      { id: 'qingyunpu', name: { 'zh-CN': '青云谱区', en: 'Qingyunpu District' } },
      { id: 'qingshanhu', name: { 'zh-CN': '青山湖区', en: 'Qingshanhu District' } },
      { id: 'xinjian', name: { 'zh-CN': '新建区', en: 'Xinjian District' } },
      { id: 'honggutan', name: { 'zh-CN': '红谷滩区', en: 'Honggutan District' } },
      { id: 'nanchang-county', name: { 'zh-CN': '南昌县', en: 'Nanchang County' } },
      { id: 'anyi', name: { 'zh-CN': '安义县', en: 'Anyi County' } },
      { id: 'jinxian', name: { 'zh-CN': '进贤县', en: 'Jinxian County' } },
    ],
    timezone: 'Asia/Shanghai',
    defaultLocale: 'zh-CN',
    surveys: ['complaint-handling-satisfaction', 'advice-and-complaints'],
  },
];
