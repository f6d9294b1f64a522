/** What a bureau needs to spread a survey: links, a QR code for posters, a microblog post of at most 140 characters. */
import QRCode from 'qrcode';
import type { Bureau } from '../../models/bureau.model.js';
import type { Locale } from '../../models/survey-definition.types.js';
import type { Survey } from '../../models/survey.model.js';

export const MICROBLOG_LIMIT = 140;

/** Height of the embed iframe before (or without) script: the card with a two-line title and its button at 320 px wide. */
export const EMBED_MIN_HEIGHT = 380;

/** Weibo shortens every link to a t.cn address and counts it as this many characters, however long it is. */
export const MICROBLOG_URL_WEIGHT = 20;

const URL_PATTERN = /https?:\/\/[^\s\u3000-\u303f\uff00-\uffef]+/g;

/**
 * Length as Weibo counts it, so a post we call "140" is one Weibo accepts whole:
 * - a link (http:// or https:// up to a space or full-width punctuation) counts 20, whatever its length;
 * - an ASCII character (Latin letter, digit, space, ASCII punctuation) counts half;
 * - anything else (a CJK character, full-width punctuation such as 【】，, "…", an emoji) counts one.
 * Halves are rounded up at the end, as Weibo's counter does ("a" alone is 1).
 */
export function characterCount(text: string): number {
  let halves = 0;
  const rest = text.replace(URL_PATTERN, () => {
    halves += MICROBLOG_URL_WEIGHT * 2;
    return '';
  });
  for (const char of rest) halves += char.codePointAt(0)! < 0x80 ? 1 : 2;
  return Math.ceil(halves / 2);
}

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

  /**
   * An iframe that fits the card: the card posts its height (public/js/embed.js) and the snippet's few lines of
   * script set it, accepting messages only from our origin and from this iframe. Without script on the host
   * page, a min-height tall enough for the card and its button on a narrow phone, and the card scrolls beyond it.
   */
  embedSnippet(bureau: Pick<Bureau, 'slug' | 'name'>, survey: Pick<Survey, 'slug' | 'title'>, locale: Locale): string {
    const title = survey.title[locale].replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
    const id = `minyi-embed-${survey.slug}`;
    const origin = JSON.stringify(new URL(this.publicUrl).origin);
    return (
      `<iframe id="${id}" src="${this.embedUrl(bureau, survey)}?lang=${locale}" title="${title}" style="display:block;width:100%;height:${EMBED_MIN_HEIGHT}px;min-height:${EMBED_MIN_HEIGHT}px;border:0" loading="lazy"></iframe>\n` +
      `<script>(function(f){addEventListener("message",function(e){var d=e.data;if(e.origin!==${origin}||e.source!==f.contentWindow||!d||d.type!=="minyi-embed-height"||!(d.height>0))return;f.style.minHeight="0";f.style.height=Math.min(d.height,4000)+"px";});})(document.getElementById("${id}"));</script>`
    );
  }

  /**
   * "【Bureau】Title, have your say: link", at most 140 as Weibo counts (see characterCount). A title too long is
   * shortened with "…": in English at a word boundary (whole words dropped from the end), in Chinese, which has
   * no spaces, by characters; a single English word longer than the room is cut by characters as a last resort.
   */
  microblogPost(bureau: Pick<Bureau, 'name'>, survey: Pick<Survey, 'title' | 'shortCode'>, locale: Locale): string {
    const url = this.shortUrl(survey);
    const compose = (title: string) => (locale === 'zh-CN' ? `【${bureau.name['zh-CN']}】${title}，欢迎参与：${url}` : `${bureau.name.en}: ${title}. Have your say: ${url}`);
    const fits = (title: string) => characterCount(compose(title)) <= MICROBLOG_LIMIT;
    const title = survey.title[locale];
    if (fits(title)) return compose(title);
    if (locale === 'en') {
      const words = title.split(/\s+/).filter(Boolean);
      while (words.length > 1) {
        words.pop();
        const shortened = `${words.join(' ').replace(/[\s,;:.!?\-–—]+$/, '')}…`;
        if (fits(shortened)) return compose(shortened);
      }
    }
    const chars = [...title];
    while (chars.length > 0 && !fits(`${chars.join('').trimEnd()}…`)) chars.pop();
    return compose(`${chars.join('').trimEnd()}…`);
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
