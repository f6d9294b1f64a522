/** The shape of a survey definition (surveys/*.json and the builder), as checked by survey-definition.schema.json. */
export const LOCALES = ['zh-CN', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export type LocalizedText = Record<Locale, string>;

export interface ChoiceOption {
  id: string;
  label: LocalizedText;
}

/** Show this question only when an earlier question's answer is one of anyOf (option ids, "yes"/"no", or a rating value). */
export interface ShowIf {
  question: string;
  anyOf: string[];
}

interface QuestionBase {
  id: string;
  title: LocalizedText;
  help?: LocalizedText;
  required: boolean;
  showIf?: ShowIf;
}

export interface SingleChoiceQuestion extends QuestionBase {
  type: 'single';
  options: ChoiceOption[];
  other?: boolean;
}
export interface MultipleChoiceQuestion extends QuestionBase {
  type: 'multiple';
  options: ChoiceOption[];
  minSelections?: number;
  maxSelections?: number;
  other?: boolean;
}
export interface RankingQuestion extends QuestionBase {
  type: 'ranking';
  options: ChoiceOption[];
  /** How many items the resident ranks: "your top 3". */
  rankCount: number;
  other?: boolean;
}
export interface RatingQuestion extends QuestionBase {
  type: 'rating';
  scale: 5 | 10;
  lowLabel: LocalizedText;
  highLabel: LocalizedText;
}
export interface YesNoQuestion extends QuestionBase {
  type: 'yes-no';
}
export interface TextQuestion extends QuestionBase {
  type: 'text';
  maxLength: number;
  multiline?: boolean;
}
export interface DistrictQuestion extends QuestionBase {
  type: 'district';
  other?: boolean;
}

export type Question =
  | SingleChoiceQuestion
  | MultipleChoiceQuestion
  | RankingQuestion
  | RatingQuestion
  | YesNoQuestion
  | TextQuestion
  | DistrictQuestion;
export type QuestionType = Question['type'];

export const VOTE_POLICIES = ['browser', 'invitation'] as const;
export const PUBLIC_RESULTS = ['never', 'always', 'after-close'] as const;
export const ANONYMITY = ['anonymous', 'confidential'] as const;

export interface SurveySettings {
  /** browser: one vote per browser, checked by the server; invitation: one vote per one-time code. */
  votePolicy: (typeof VOTE_POLICIES)[number];
  publicResults: (typeof PUBLIC_RESULTS)[number];
  /** anonymous: nothing about the respondent is kept; confidential: a salted hash of the client address is kept for abuse checks. */
  anonymity: (typeof ANONYMITY)[number];
  responseCap?: number;
  thankYou?: LocalizedText;
}

export interface SurveyDefinition {
  slug: string;
  defaultLocale: Locale;
  title: LocalizedText;
  description: LocalizedText;
  settings: SurveySettings;
  questions: Question[];
}

/** The id every choice question uses for its "other, please specify" option. */
export const OTHER_OPTION_ID = 'other';
