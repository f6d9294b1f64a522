/** A cross-tab from the ResultsService, for the dashboard page in one language: n and row share per cell, the base stated. */
import type { I18n, Locale } from '../../i18n/i18n.js';
import type { CrossTabResult } from '../../services/results/results.service.js';
import { formatShare } from '../shared/results.view-model.js';

const decimals = (value: number, digits: number, locale: Locale) => new Intl.NumberFormat(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value);

export function crossTabViewModel(table: CrossTabResult, i18n: I18n, locale: Locale) {
  const t = (key: string, params?: Record<string, unknown>) => i18n.translate(locale, key, params);
  const rating = table.cols.type === 'rating';
  const chi = table.chiSquare;
  return {
    caption: `${table.rows.title[locale]} × ${table.cols.title[locale]}`,
    corner: table.rows.title[locale],
    rating,
    columns: table.columns.map((c) => ({ id: c.id, label: c.label[locale] })),
    rows: table.lines.map((line) => ({
      id: line.id,
      label: line.label[locale],
      base: line.base,
      mean: line.mean ? (line.mean.low === null ? decimals(line.mean.mean, 2, locale) : t('crossTab.mean', { mean: decimals(line.mean.mean, 2, locale), low: decimals(line.mean.low, 2, locale), high: decimals(line.mean.high!, 2, locale) })) : '—',
      cells: line.cells.map((cell) => ({ id: cell.id, count: cell.n, share: formatShare(cell.rowShare, locale) })),
    })),
    all: { base: table.total, cells: table.columns.map((c) => ({ count: c.n, share: formatShare(c.share, locale) })) },
    notes: [
      t('crossTab.both', { count: table.total }),
      t('crossTab.base'),
      t('crossTab.rowsCounted', { counted: t(`crossTab.counted.${table.rows.counted}`) }),
      t('crossTab.colsCounted', { counted: t(`crossTab.counted.${table.cols.counted}`) }),
      t('crossTab.smallCell', { threshold: table.smallCellThreshold }),
    ],
    chiSquare: chi ? t('crossTab.chiSquare', { statistic: decimals(chi.statistic, 2, locale), df: chi.df, p: chi.p < 0.001 ? '< 0.001' : decimals(chi.p, 3, locale) }) : table.rowsOverlap || table.columnsOverlap ? t('crossTab.noChiSquare') : null,
    chiSquareWarning: chi?.warning ? t('crossTab.chiSquareWarning', { small: chi.smallExpected, cells: chi.cells }) : null,
  };
}
