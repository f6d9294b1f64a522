/** Which concerns a text speaks of: phrases and nearby group terms, matched as word sequences. Pure, no I/O. */
import { SENTENCE_BREAK, type Tokenizer } from './tokenizer.js';
import type { ConcernDefinition } from './vocabulary.js';

/** Group terms count together when at most this many words apart (in one sentence). */
export const GROUP_WINDOW = 10;

interface TermEntry {
  words: string[];
  concern: number;
  /** -1 for a phrase, else the group's index. */
  group: number;
}

export class ConcernMatcher {
  private readonly byFirstWord = new Map<string, TermEntry[]>();

  constructor(
    readonly concerns: readonly ConcernDefinition[],
    readonly tokenizer: Tokenizer,
  ) {
    concerns.forEach((concern, index) => {
      concern.phrases.forEach((phrase) => this.add(phrase, index, -1));
      concern.groups.forEach((group, g) => group.forEach((term) => this.add(term, index, g)));
    });
  }

  private add(term: string, concern: number, group: number): void {
    // The term is cut as texts are, so it matches whatever way the tokenizer splits it.
    const words = this.tokenizer.tokens(term).filter((w) => w !== SENTENCE_BREAK);
    if (words.length === 0) return;
    const list = this.byFirstWord.get(words[0]!) ?? [];
    if (!list.some((e) => e.concern === concern && e.group === group && e.words.join(' ') === words.join(' '))) list.push({ words, concern, group });
    this.byFirstWord.set(words[0]!, list);
  }

  /** Indexes (into `concerns`) of the concerns the text speaks of, each once. */
  match(text: string): number[] {
    return this.matchTokens(this.tokenizer.tokens(text));
  }

  matchTokens(tokens: string[]): number[] {
    const found = new Set<number>();
    // Group hits: concern → group → positions, with the sentence each position is in.
    const hits = new Map<number, Array<Array<{ at: number; sentence: number }>>>();
    let sentence = 0;
    for (let i = 0; i < tokens.length; i += 1) {
      const token = tokens[i]!;
      if (token === SENTENCE_BREAK) {
        sentence += 1;
        continue;
      }
      const entries = this.byFirstWord.get(token);
      if (!entries) continue;
      for (const entry of entries) {
        if (found.has(entry.concern)) continue;
        if (!entry.words.every((word, k) => tokens[i + k] === word)) continue;
        if (entry.group < 0) {
          found.add(entry.concern);
          continue;
        }
        let groups = hits.get(entry.concern);
        if (!groups) {
          groups = this.concerns[entry.concern]!.groups.map(() => []);
          hits.set(entry.concern, groups);
        }
        groups[entry.group]!.push({ at: i, sentence });
      }
    }
    for (const [concern, groups] of hits) {
      if (found.has(concern) || groups.some((g) => g.length === 0)) continue;
      const [first, ...others] = groups;
      const near = first!.some((anchor) => others.every((group) => group.some((hit) => hit.sentence === anchor.sentence && Math.abs(hit.at - anchor.at) <= GROUP_WINDOW)));
      if (near) found.add(concern);
    }
    return [...found].sort((a, b) => a - b);
  }

  /** Every term of the vocabulary, for the tokenizer's dictionary. */
  static terms(concerns: readonly ConcernDefinition[]): string[] {
    return concerns.flatMap((c) => [...c.phrases, ...c.groups.flat()]);
  }
}
