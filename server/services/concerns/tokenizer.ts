/**
 * Splits free text into words for concern matching: Chinese with jieba (with the vocabulary's words added to
 * its dictionary), English and digits by a regular expression. When the native jieba module cannot be
 * loaded, Chinese is cut by longest match against the vocabulary itself, so the concerns page still works,
 * only with fewer new words found.
 */
import type { Logger } from '../../logging/logger.js';

/** Marks the end of a sentence in a token list: group terms must meet within one sentence. */
export const SENTENCE_BREAK = '\n';

export interface Tokenizer {
  readonly kind: 'jieba' | 'vocabulary';
  tokens(text: string): string[];
}

const CJK = /[\u3400-\u9fff\uf900-\ufaff]/;
// Runs of Chinese characters, words of Latin letters or digits (e-bike, don't, 12368), sentence ends.
const PIECES = /([\u3400-\u9fff\uf900-\ufaff]+)|([a-z0-9]+(?:['’-][a-z0-9]+)*)|([。！？!?；;\n]|\.(?=\s|$))/g;

export function normalizeText(text: string): string {
  // NFKC turns full-width letters and digits (ｅ－ｂｉｋｅ，１１０) into their usual forms.
  return text.normalize('NFKC').toLowerCase();
}

abstract class BaseTokenizer implements Tokenizer {
  abstract readonly kind: Tokenizer['kind'];
  protected abstract cutChinese(run: string): string[];

  tokens(text: string): string[] {
    const out: string[] = [];
    for (const match of normalizeText(text).matchAll(PIECES)) {
      if (match[1]) {
        for (const word of this.cutChinese(match[1])) out.push(word);
      } else if (match[2]) {
        out.push(match[2].replace(/’/g, "'"));
      } else if (out.length > 0 && out[out.length - 1] !== SENTENCE_BREAK) {
        out.push(SENTENCE_BREAK);
      }
    }
    return out;
  }
}

interface JiebaLike {
  cut(sentence: string, hmm?: boolean | null): string[];
  loadDict(dict: Uint8Array): void;
}

class JiebaTokenizer extends BaseTokenizer {
  readonly kind = 'jieba' as const;
  constructor(private readonly jieba: JiebaLike) {
    super();
  }
  protected cutChinese(run: string): string[] {
    // Without HMM: words the dictionary does not know stay as single characters, so matching is predictable.
    return this.jieba.cut(run, false);
  }
}

/** Longest match against a word list, single characters otherwise. */
class VocabularyTokenizer extends BaseTokenizer {
  readonly kind = 'vocabulary' as const;
  private readonly words: Set<string>;
  private readonly longest: number;
  constructor(words: Iterable<string>) {
    super();
    this.words = new Set([...words].filter((w) => CJK.test(w)).map(normalizeText));
    this.longest = Math.max(1, ...[...this.words].map((w) => w.length));
  }
  protected cutChinese(run: string): string[] {
    const out: string[] = [];
    for (let i = 0; i < run.length; ) {
      let taken = 1;
      for (let length = Math.min(this.longest, run.length - i); length > 1; length -= 1) {
        if (this.words.has(run.slice(i, i + length))) {
          taken = length;
          break;
        }
      }
      out.push(run.slice(i, i + taken));
      i += taken;
    }
    return out;
  }
}

export interface TokenizerOptions {
  /** Words to keep whole (the vocabulary's terms). */
  words: Iterable<string>;
  logger?: Logger;
  /** Tests: pretend the native module is missing. */
  forceFallback?: boolean;
}

/** jieba with the vocabulary's words, or the vocabulary tokenizer when the native module fails to load. */
export async function createTokenizer(options: TokenizerOptions): Promise<Tokenizer> {
  const words = [...options.words];
  if (!options.forceFallback) {
    try {
      const { Jieba } = await import('@node-rs/jieba');
      const { dict } = await import('@node-rs/jieba/dict.js');
      const jieba = Jieba.withDict(dict) as JiebaLike;
      const chinese = [...new Set(words.map(normalizeText).filter((w) => CJK.test(w) && w.length > 1 && !/\s/.test(w)))];
      // A frequency well above most dictionary words keeps 电瓶车 or 被偷 whole; single characters are left alone.
      jieba.loadDict(Buffer.from(chinese.map((w) => `${w} 3000`).join('\n')));
      return new JiebaTokenizer(jieba);
    } catch (error) {
      options.logger?.warn({ err: error }, 'jieba could not be loaded: concerns are found by vocabulary matching only');
    }
  }
  return new VocabularyTokenizer(words);
}
