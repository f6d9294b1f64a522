/** Reads test/fixtures/concerns-labelled.tsv: hand-labelled texts for the precision of the concerns list. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../server/paths.js';

export interface LabelledText {
  labels: string[];
  text: string;
}

export function labelledConcernTexts(): LabelledText[] {
  return readFileSync(path.join(projectRoot(), 'test', 'fixtures', 'concerns-labelled.tsv'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() && !line.startsWith('#'))
    .map((line) => {
      const [labels = '', text = ''] = line.split('\t');
      return { labels: labels === '-' ? [] : labels.split(','), text };
    });
}
