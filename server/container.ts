/** Wires every service once, from the config, the logger and an open database connection. */
import path from 'node:path';
import type { Config } from './config/index.js';
import type { DatabaseConnection } from './db/connect.js';
import { DatabaseHealth } from './db/database-health.js';
import type { RunningDatabase } from './db/running-database.js';
import { I18n } from './i18n/i18n.js';
import type { Logger } from './logging/logger.js';
import { createModels, type Models } from './models/index.js';
import { projectRoot } from './paths.js';
import { AccountService } from './services/accounts/account.service.js';
import { KnownDevices } from './services/accounts/known-devices.js';
import { PasswordHasher } from './services/accounts/password-hasher.js';
import { PasswordPolicy } from './services/accounts/password-policy.js';
import { ApiTokens } from './services/api/api-tokens.js';
import { AdviceBox } from './services/advice/advice-box.service.js';
import { AdviceCases } from './services/advice/advice-cases.service.js';
import { AccountabilityService } from './services/accountability/accountability.service.js';
import { AuditLog } from './services/audit/audit-log.js';
import { ConcernsService } from './services/concerns/concerns.service.js';
import { loadVocabulary } from './services/concerns/vocabulary.js';
import { BureauService } from './services/bureaus/bureau.service.js';
import { DashboardService } from './services/dashboards/dashboard.service.js';
import { ComparisonService } from './services/dashboards/comparison.service.js';
import { Exporter } from './services/dashboards/exports.js';
import { ColumnStore } from './services/results/column-store.js';
import { ResultsService } from './services/results/results.service.js';
import { DemoSeeder } from './services/demo/demo-seeder.js';
import { AnswerValidatorCache } from './services/surveys/answer-validator.js';
import { SurveyDefinitionValidator } from './services/surveys/survey-definition-validator.js';
import { ShareKit } from './services/sharing/share-kit.js';
import { SurveyEditor } from './services/surveys/survey-editor.service.js';
import { SurveyService } from './services/surveys/survey.service.js';
import { loadSurveyTemplates, type SurveyTemplate } from './services/surveys/survey-templates.js';
import { TallyService } from './services/tallies/tally.service.js';
import { TallyWriter } from './services/tallies/tally-writer.js';
import { createAjv } from './services/validation/ajv.js';
import { FormTokens } from './services/voting/form-token.js';
import { InvitationCodes } from './services/voting/invitation-codes.js';
import { RateLimiter } from './services/voting/rate-limiter.js';
import { RefusalCounter } from './services/voting/refusal-counter.js';
import { Receipts } from './services/voting/receipt.js';
import { responseIdFor } from './services/voting/response-id.js';
import { ResponseStore } from './services/voting/response-store.js';
import { SurveyDirectory } from './services/voting/survey-directory.js';
import { VoteService } from './services/voting/vote.service.js';
import { VoteWatch } from './services/voting/vote-watch.js';
import { VoteRateLimiter } from './services/voting/vote-rate-limiter.js';
import { HEAVY_REQUEST_LIMITS, HeavyRequests } from './web/shared/heavy-requests.js';
import { RenderedPageCache } from './web/shared/rendered-page-cache.js';
import { ViewRenderer } from './web/shared/view-renderer.js';

export interface Container {
  config: Config;
  logger: Logger;
  database: DatabaseConnection;
  runningDatabase: Pick<RunningDatabase, 'kind' | 'description'>;
  health: DatabaseHealth;
  models: Models;
  i18n: I18n;
  views: ViewRenderer;
  templates: Map<string, SurveyTemplate>;
  definitionValidator: SurveyDefinitionValidator;
  answerValidators: AnswerValidatorCache;
  bureaus: BureauService;
  surveys: SurveyService;
  tallies: TallyService;
  tallyWriter: TallyWriter;
  directory: SurveyDirectory;
  tokens: FormTokens;
  receipts: Receipts;
  rateLimiter: RateLimiter;
  voteRateLimiter: VoteRateLimiter;
  codes: InvitationCodes;
  responses: ResponseStore;
  votes: VoteService;
  refusals: RefusalCounter;
  voteWatch: VoteWatch;
  pageCache: RenderedPageCache;
  heavyRequests: HeavyRequests;
  passwordPolicy: PasswordPolicy;
  accounts: AccountService;
  audit: AuditLog;
  editor: SurveyEditor;
  shareKit: ShareKit;
  dashboards: DashboardService;
  columnStore: ColumnStore;
  results: ResultsService;
  exporter: Exporter;
  comparisons: ComparisonService;
  apiTokens: ApiTokens;
  demo: DemoSeeder;
  /** Advice box posts and tracking-code guesses, per hashed address (the vote limit's settings). */
  adviceRateLimiter: VoteRateLimiter;
  adviceBox: AdviceBox;
  adviceCases: AdviceCases;
  concerns: ConcernsService;
  accountability: AccountabilityService;
}

export interface ContainerInput {
  config: Config;
  logger: Logger;
  database: DatabaseConnection;
  runningDatabase: Pick<RunningDatabase, 'kind' | 'description'>;
}

/** Parts that need no database: loaded before connecting, so a bad template stops start-up at once. */
export function loadStaticParts() {
  const root = projectRoot();
  const ajv = createAjv();
  const definitionValidator = new SurveyDefinitionValidator(ajv);
  const templates = loadSurveyTemplates(path.join(root, 'surveys'), definitionValidator);
  const i18n = new I18n();
  const views = new ViewRenderer(path.join(root, 'views'), i18n);
  const concernVocabulary = loadVocabulary();
  return { ajv, definitionValidator, templates, i18n, views, concernVocabulary };
}

export function buildContainer(input: ContainerInput, parts = loadStaticParts()): Container {
  const { config, logger } = input;
  const models = createModels(input.database.connection);
  const writeConcern = input.database.capabilities.voteWriteConcern;
  const health = new DatabaseHealth(input.database.connection, { logger, timeoutMs: config.dbTimeoutMs });
  const tallies = new TallyService(models, { writeConcern, health });
  const tallyWriter = new TallyWriter(models, tallies, { writeConcern, logger, flushIntervalMs: config.tallyFlushMs });
  const bureaus = new BureauService(models, health);
  const surveys = new SurveyService(models, tallies, health);
  const answerValidators = new AnswerValidatorCache(parts.ajv);
  const tokens = new FormTokens(config.secret);
  const receipts = new Receipts(config.secret);
  const rateLimiter = new RateLimiter(models);
  const voteRateLimiter = new VoteRateLimiter({ limit: config.voteRateLimit, windowSeconds: config.voteRateWindowSeconds });
  const codes = new InvitationCodes(models, config.secret);
  const passwordPolicy = new PasswordPolicy();
  const directory = new SurveyDirectory(models, health);
  const audit = new AuditLog(models, logger);
  const accounts = new AccountService(models, { policy: passwordPolicy, hasher: new PasswordHasher(), rateLimiter, devices: new KnownDevices(config.secret), audit, health });
  const responses = new ResponseStore(models, tallyWriter, { writeConcern, logger, idFor: (survey, submissionId, generation) => responseIdFor(config.secret, survey, submissionId, generation) });
  const refusals = new RefusalCounter();
  const voteWatch = new VoteWatch(config.secret);
  const votes = new VoteService(
    models,
    { validators: answerValidators, tokens, rateLimiter: voteRateLimiter, codes, responses, tallyWriter, tallies, receipts, refusals, watch: voteWatch },
    { secret: config.secret, minFillSeconds: config.minFillSeconds, logger },
  );
  const adviceRateLimiter = new VoteRateLimiter({ limit: config.voteRateLimit, windowSeconds: config.voteRateWindowSeconds });
  const concerns = new ConcernsService(models, { secret: config.secret, vocabulary: parts.concernVocabulary, logger });
  // Answer filters and cross-tabs read the responses as columns in memory, kept current by the votes stored here.
  const columnStore = new ColumnStore(models, { logger, maxStaleMs: config.tallyFlushMs });
  tallyWriter.onStored((surveyId, stored) => columnStore.addStored(surveyId, stored));
  const dashboards = new DashboardService(models, tallies, { sortsInMemory: input.database.capabilities.sortsInMemory }, columnStore);
  return {
    ...input,
    adviceRateLimiter,
    adviceBox: new AdviceBox(models, { tokens, rateLimiter: adviceRateLimiter }, { secret: config.secret, minFillSeconds: config.minFillSeconds }),
    adviceCases: new AdviceCases(models, { audit, accounts, secret: config.secret }),
    concerns,
    accountability: new AccountabilityService(models, { tallies, concerns, smallCellMin: config.smallCellMin }),
    health,
    models,
    i18n: parts.i18n,
    views: parts.views,
    templates: parts.templates,
    definitionValidator: parts.definitionValidator,
    answerValidators,
    bureaus,
    surveys,
    tallies,
    tallyWriter,
    directory,
    tokens,
    receipts,
    rateLimiter,
    voteRateLimiter,
    codes,
    responses,
    votes,
    refusals,
    voteWatch,
    pageCache: new RenderedPageCache(),
    heavyRequests: new HeavyRequests(HEAVY_REQUEST_LIMITS, () => responses.isStoring()),
    passwordPolicy,
    accounts,
    audit,
    shareKit: new ShareKit(config.publicUrl),
    dashboards,
    columnStore,
    results: new ResultsService(dashboards, { smallCellMin: config.smallCellMin, analysisWaitMs: config.analysisWaitSeconds * 1000 }),
    exporter: new Exporter(models, (locale, key, params) => parts.i18n.translate(locale, key, params), { sortsInMemory: input.database.capabilities.sortsInMemory }),
    comparisons: new ComparisonService(models, tallies),
    apiTokens: new ApiTokens(models),
    editor: new SurveyEditor(models, { validator: parts.definitionValidator, tallies, directory, audit, templates: parts.templates }),
    demo: new DemoSeeder(bureaus, surveys, parts.templates, logger, accounts, { models, tallies, concerns }),
  };
}
