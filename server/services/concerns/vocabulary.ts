/** The shipped vocabulary of concerns (vocabulary.json): loaded once by the container, synonym sets expanded. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { LocalizedText } from '../../models/survey-definition.types.js';
import { projectRoot } from '../../paths.js';

export type ConcernDomain = 'police' | 'court' | 'city' | 'custom';

/** One concern as the matcher sees it: any phrase alone, or one term of every group near each other. */
export interface ConcernDefinition {
  id: string;
  domain: ConcernDomain;
  name: LocalizedText;
  phrases: string[];
  groups: string[][];
}

interface VocabularyFile {
  sets: Record<string, string[]>;
  concerns: Array<{ id: string; domain: ConcernDomain; name: LocalizedText; phrases: string[]; groups: string[][] }>;
}

export function vocabularyPath(): string {
  return path.join(projectRoot(), 'server', 'services', 'concerns', 'vocabulary.json');
}

/** Reads and checks the vocabulary; a bad file stops start-up with the concern and the problem. */
export function loadVocabulary(file = vocabularyPath()): ConcernDefinition[] {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as VocabularyFile;
  const expand = (terms: string[], where: string) =>
    terms.flatMap((term) => {
      if (!term.startsWith('@')) return [term];
      const set = raw.sets[term.slice(1)];
      if (!set) throw new Error(`${file}: ${where} names the unknown synonym set ${term}`);
      return set;
    });
  const seen = new Set<string>();
  return raw.concerns.map((concern) => {
    if (!/^[a-z0-9-]{1,60}$/.test(concern.id) || seen.has(concern.id)) throw new Error(`${file}: concern id "${concern.id}" is malformed or repeated`);
    seen.add(concern.id);
    const phrases = expand(concern.phrases, concern.id);
    const groups = concern.groups.map((group) => expand(group, concern.id));
    if (phrases.length === 0 && groups.length === 0) throw new Error(`${file}: concern ${concern.id} has no phrases and no groups`);
    return { id: concern.id, domain: concern.domain, name: concern.name, phrases, groups };
  });
}
