/**
 * Words in a survey's texts long enough to break awkwardly on a phone (an unbroken URL, a pasted code): the
 * builder warns its author. Resident pages wrap them anyway; the warning is so the author can shorten them.
 */
export const LONG_WORD_CHARACTERS = 40;

/**
 * Runs of text a browser will not break on its own: no space, and no Chinese, Japanese or Korean character
 * (lines break between those anywhere), nor full-width punctuation.
 */
const UNBROKEN = /[^\s\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u3000-\u303F\uFF00-\uFFEF]+/gu;

/** Each distinct word of more than LONG_WORD_CHARACTERS characters (code points) in any string of the definition. */
export function longWords(definition: unknown, limit = LONG_WORD_CHARACTERS): string[] {
  const found = new Set<string>();
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      for (const word of value.match(UNBROKEN) ?? []) if ([...word].length > limit) found.add(word);
    } else if (Array.isArray(value)) {
      value.forEach(visit);
    } else if (value !== null && typeof value === 'object') {
      Object.values(value).forEach(visit);
    }
  };
  visit(definition);
  return [...found];
}
