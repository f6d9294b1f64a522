/**
 * A baseline survey page: the plainest Express + Handlebars way to show a survey form. One template and one
 * layout, compiled once with a private Handlebars instance; every call builds the view-model from the
 * survey and renders both, with none of Minyi's helpers, partials, i18n lookups or page cache.
 */
import Handlebars from 'handlebars';
import type { Bureau } from '../../server/models/bureau.model.js';
import { OTHER_OPTION_ID, type Locale, type Question } from '../../server/models/survey-definition.types.js';
import type { Survey } from '../../server/models/survey.model.js';

const LAYOUT = `<!doctype html>
<html lang="{{locale}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{title}} · 民意</title>
<link rel="stylesheet" href="/static/css/minyi.css">
<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">
<script src="/static/js/survey.js" defer></script>
</head>
<body>
<a class="skip-link" href="#main">跳到主要内容</a>
<header class="site-header"><div class="wrap"><a class="brand" href="/">民意<span class="tagline">倾听群众的声音</span></a>
<nav class="lang-switch" aria-label="语言"><ul>{{#each languages}}<li><a href="{{href}}" lang="{{locale}}" hreflang="{{locale}}">{{label}}</a></li>{{/each}}</ul></nav></div></header>
<main id="main" class="wrap" tabindex="-1">
{{{body}}}
</main>
<footer class="site-footer"><div class="wrap">民意 —— 公共机构的问卷调查与意见征集平台。除问卷另有说明外，您的回答均为匿名。</div></footer>
</body>
</html>`;

const PAGE = `<p class="meta"><a href="{{bureauHref}}">{{bureauName}}</a></p>
<h1>{{title}}</h1>
<p>{{description}}</p>
<form method="post" action="{{action}}" novalidate class="survey-form" accept-charset="utf-8">
<input type="hidden" name="_form" value="{{formToken}}">
{{#each questions}}<div class="question-block" id="q-{{id}}-block" data-question="{{id}}" data-type="{{type}}">
<fieldset class="question"{{#if help}} aria-describedby="q-{{id}}-hint"{{/if}}>
<legend>{{number}}. {{title}}{{#unless required}} <span class="optional">（选填）</span>{{/unless}}</legend>
{{#if help}}<p class="hint" id="q-{{id}}-hint">{{help}}</p>{{/if}}
{{#each selects}}<div class="rank-row"><label for="{{inputId}}">{{label}}</label>
<select id="{{inputId}}" name="{{name}}"><option value="">请选择…</option>{{#each ../options}}<option value="{{value}}">{{label}}</option>{{/each}}</select></div>
{{/each}}{{#each choices}}<div class="choice"><input type="{{../inputType}}" id="{{inputId}}" name="{{../id}}" value="{{value}}"><label for="{{inputId}}">{{label}}</label></div>
{{/each}}{{#if textarea}}<textarea id="q-{{id}}-input" name="{{id}}" maxlength="{{maxLength}}" rows="5"></textarea>
<p class="counter" data-max="{{maxLength}}">最多 {{maxLength}} 个字。</p>
{{/if}}{{#if other}}<div class="other-text" data-other-for="{{id}}"><label for="q-{{id}}-other-text">请注明</label>
<input type="text" id="q-{{id}}-other-text" name="{{id}}.other" value="" maxlength="200" autocomplete="off"></div>
{{/if}}</fieldset>
</div>
{{/each}}<button type="submit" class="button">提交我的回答</button>
</form>`;

type Text = { 'zh-CN': string; en: string };

function questionModel(question: Question, index: number, bureau: Bureau, locale: Locale) {
  const text = (t: Text | undefined) => (t ? t[locale] || t['zh-CN'] : '');
  const other = 'other' in question && question.other === true;
  const withOther = (options: Array<{ value: string; label: string }>) => (other ? [...options, { value: OTHER_OPTION_ID, label: '其他（请注明）' }] : options);
  let options: Array<{ value: string; label: string }> = [];
  switch (question.type) {
    case 'single':
    case 'multiple':
    case 'ranking':
      options = withOther(question.options.map((o) => ({ value: o.id, label: text(o.label) })));
      break;
    case 'district':
      options = withOther(bureau.districts.map((d) => ({ value: d.id, label: text(d.name) })));
      break;
    case 'yes-no':
      options = [
        { value: 'yes', label: '是' },
        { value: 'no', label: '否' },
      ];
      break;
    case 'rating':
      options = Array.from({ length: question.scale }, (_, i) => ({ value: String(i + 1), label: String(i + 1) }));
      break;
    case 'text':
      break;
  }
  const usesSelects = question.type === 'ranking' || question.type === 'district';
  const selectCount = question.type === 'ranking' ? question.rankCount : 1;
  return {
    id: question.id,
    type: question.type,
    number: index + 1,
    title: text(question.title),
    help: text(question.help),
    required: question.required,
    options,
    selects: usesSelects
      ? Array.from({ length: selectCount }, (_, i) => ({ inputId: `q-${question.id}-select-${i + 1}`, name: question.type === 'ranking' ? `${question.id}.rank.${i + 1}` : question.id, label: question.type === 'ranking' ? `第 ${i + 1} 位` : '请选择' }))
      : [],
    choices: usesSelects ? [] : options.map((o) => ({ ...o, inputId: `q-${question.id}-${o.value}` })),
    inputType: question.type === 'multiple' ? 'checkbox' : 'radio',
    textarea: question.type === 'text',
    maxLength: question.type === 'text' ? question.maxLength : undefined,
    other,
  };
}

export interface HandlebarsSurveyPage {
  render(formToken: string): string;
}

export function handlebarsSurveyPage(bureau: Bureau, survey: Survey, locale: Locale): HandlebarsSurveyPage {
  const handlebars = Handlebars.create();
  const layout = handlebars.compile(LAYOUT);
  const page = handlebars.compile(PAGE);
  const path = `/b/${bureau.slug}/s/${survey.slug}`;
  return {
    render(formToken) {
      const model = {
        locale,
        title: survey.title[locale],
        description: survey.description[locale],
        bureauName: bureau.name[locale],
        bureauHref: `/b/${bureau.slug}`,
        action: path,
        formToken,
        languages: [
          { locale: 'zh-CN', label: '中文', href: `${path}?lang=zh-CN` },
          { locale: 'en', label: 'English', href: `${path}?lang=en` },
        ],
        questions: survey.questions.map((question, index) => questionModel(question, index, bureau, locale)),
      };
      return layout({ ...model, body: page(model) });
    },
  };
}
