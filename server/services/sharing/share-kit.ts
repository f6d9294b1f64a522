/** What a bureau needs to spread a survey: links, a QR code for posters, a microblog post of at most 140 characters. */
import QRCode from 'qrcode';
import type { Bureau } from '../../models/bureau.model.js';
import type { Locale } from '../../models/survey-definition.types.js';
import type { Survey } from '../../models/survey.model.js';

export const MICROBLOG_LIMIT = 140;

/** Characters as a reader counts them: each Chinese character (and each emoji or letter) is one. */
export const characterCount = (text: string) => [...text].length;

export class ShareKit {
  constructor(private readonly publicUrl: string) {}

  surveyUrl(bureau: Pick<Bureau, 'slug'>, survey: Pick<Survey, 'slug'>): string {
    return `${this.publicUrl}/b/${bureau.slug}/s/${survey.slug}`;
  }

  shortUrl(survey: Pick<Survey, 'shortCode'>): string {
    return `${this.publicUrl}/s/${survey.shortCode}`;
  }

  embedUrl(bureau: Pick<Bureau, 'slug'>, survey: Pick<Survey, 'slug'>): string {
    return `${this.publicUrl}/embed/b/${bureau.slug}/s/${survey.slug}`;
  }

  embedSnippet(bureau: Pick<Bureau, 'slug' | 'name'>, survey: Pick<Survey, 'slug' | 'title'>, locale: Locale): string {
    const title = survey.title[locale].replace(/"/g, '&quot;');
    return `<iframe src="${this.embedUrl(bureau, survey)}?lang=${locale}" title="${title}" width="100%" height="260" style="border:0" loading="lazy"></iframe>`;
  }

  /** "【Bureau】Title, have your say: link", the title shortened with "…" when the whole would pass 140 characters. */
  microblogPost(bureau: Pick<Bureau, 'name'>, survey: Pick<Survey, 'title' | 'shortCode'>, locale: Locale): string {
    const url = this.shortUrl(survey);
    const compose = (title: string) => (locale === 'zh-CN' ? `【${bureau.name['zh-CN']}】${title}，欢迎参与：${url}` : `${bureau.name.en}: ${title}. Have your say: ${url}`);
    let title = survey.title[locale];
    if (characterCount(compose(title)) <= MICROBLOG_LIMIT) return compose(title);
    const chars = [...title];
    while (chars.length > 0 && characterCount(compose(`${chars.join('')}…`)) > MICROBLOG_LIMIT) chars.pop();
    title = `${chars.join('').trimEnd()}…`;
    return compose(title);
  }

  /** An SVG QR code, medium error correction (survives a smudged poster), with the quiet zone the standard asks for. */
  qrSvg(url: string): Promise<string> {
    return QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 });
  }

  /** A PNG big enough for an A4 poster at 300 dpi (about 13 cm wide). */
  qrPng(url: string): Promise<Buffer> {
    return QRCode.toBuffer(url, { type: 'png', errorCorrectionLevel: 'M', margin: 4, width: 1536 });
  }
}
