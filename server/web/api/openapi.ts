/** The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json. */
import { adviceOpenApiPaths, adviceOpenApiSchemas } from './advice.openapi.js';

export function openApiDocument(publicUrl: string) {
  const filterParameters = [
    { name: 'from', in: 'query', schema: { type: 'string', format: 'date' }, description: 'First day (YYYY-MM-DD, bureau time zone).' },
    { name: 'to', in: 'query', schema: { type: 'string', format: 'date' }, description: 'Last day (YYYY-MM-DD).' },
    { name: 'district', in: 'query', schema: { type: 'string' }, description: "A district id of the bureau." },
    { name: 'channel', in: 'query', schema: { type: 'string', enum: ['web', 'kiosk', 'paper', 'phone'] } },
    { name: 'answer', in: 'query', schema: { type: 'string', example: 'victim:yes' }, description: 'Only respondents who gave this answer: <question id>:<answer>.' },
  ];
  const surveyPath = [
    { name: 'bureau', in: 'path', required: true, schema: { type: 'string' } },
    { name: 'survey', in: 'path', required: true, schema: { type: 'string' } },
  ];
  const crossTabParameters = [
    { name: 'rows', in: 'query', required: true, schema: { type: 'string' }, description: 'Id of the question whose answers make the rows (choice, rating, ranking, yes/no or district).' },
    { name: 'cols', in: 'query', required: true, schema: { type: 'string' }, description: 'Id of another such question, whose answers make the columns.' },
    { name: 'rank', in: 'query', schema: { type: 'string', enum: ['first', 'any'], default: 'first' }, description: 'How a ranking question counts: its first choice, or every item ranked at any position.' },
  ];
  const errorResponse = { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  return {
    openapi: '3.1.0',
    info: { title: 'Minyi API', version: '1.0.0', description: 'Read-only access to surveys and their results. Authenticate with a bureau API token (Authorization: Bearer minyi_…) or a staff session cookie.' },
    servers: [{ url: `${publicUrl}/api/v1` }],
    security: [{ bearer: [] }, { session: [] }],
    paths: {
      '/surveys': {
        get: { summary: 'Surveys the caller may read', operationId: 'listSurveys', responses: { 200: { description: 'Surveys', content: { 'application/json': { schema: { type: 'object', properties: { surveys: { type: 'array', items: { $ref: '#/components/schemas/SurveySummary' } } }, required: ['surveys'] } } } }, 401: errorResponse } },
      },
      '/surveys/{bureau}/{survey}': {
        get: { summary: 'A survey: its definition, status and response count', operationId: 'getSurvey', parameters: surveyPath, responses: { 200: { description: 'Survey', content: { 'application/json': { schema: { $ref: '#/components/schemas/Survey' } } } }, 401: errorResponse, 404: errorResponse } },
      },
      '/surveys/{bureau}/{survey}/results': {
        get: { summary: 'Results, with the same filters as the dashboard', operationId: 'getResults', parameters: [...surveyPath, ...filterParameters], responses: { 200: { description: 'Results', content: { 'application/json': { schema: { $ref: '#/components/schemas/Results' } } } }, 400: errorResponse, 401: errorResponse, 404: errorResponse } },
      },
      '/surveys/{bureau}/{survey}/crosstab': {
        get: {
          summary: 'Cross-tab of two questions: n, base and row share per cell, with the same filters',
          description: 'Counts respondents who answered both questions (and pass the filters). Each cell gives n, its row\'s base (respondents in the row) and n / base; multiple-choice answers and rankings counted at any position put a respondent in several cells, so row shares may add up to more than 100%. Shares of cells or rows with fewer respondents than the small-cell minimum are null. Unknown or malformed query fields are refused with 400.',
          operationId: 'getCrossTab',
          parameters: [...surveyPath, ...crossTabParameters, ...filterParameters],
          responses: { 200: { description: 'Cross-tab', content: { 'application/json': { schema: { $ref: '#/components/schemas/CrossTab' } } } }, 400: errorResponse, 401: errorResponse, 404: errorResponse, 429: errorResponse },
        },
      },
      '/surveys/{bureau}/{survey}/responses': {
        get: { summary: 'Raw responses as a JSON array, streamed (no client data)', operationId: 'getResponses', parameters: [...surveyPath, ...filterParameters], responses: { 200: { description: 'Responses', content: { 'application/json': { schema: { type: 'array', items: { $ref: '#/components/schemas/Response' } } } } }, 400: errorResponse, 401: errorResponse, 404: errorResponse } },
      },
      '/surveys/{bureau}/{survey}/responses.csv': {
        get: { summary: 'Raw responses as CSV (UTF-8 with BOM), streamed: SPSS-safe variable names and numeric codes, explained by the codebook of the staff Excel export and its SPSS syntax', operationId: 'getResponsesCsv', parameters: [...surveyPath, ...filterParameters], responses: { 200: { description: 'CSV', content: { 'text/csv': { schema: { type: 'string' } } } }, 400: errorResponse, 401: errorResponse, 404: errorResponse } },
      },
      ...adviceOpenApiPaths,
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'A bureau API token, made by a manager in the workspace.' },
        session: { type: 'apiKey', in: 'cookie', name: 'minyi_sid' },
      },
      schemas: {
        Localized: { type: 'object', properties: { 'zh-CN': { type: 'string' }, en: { type: 'string' } }, required: ['zh-CN', 'en'] },
        SurveySummary: {
          type: 'object',
          required: ['bureau', 'slug', 'title', 'status', 'responses'],
          properties: { bureau: { type: 'string' }, slug: { type: 'string' }, template: { type: ['string', 'null'] }, title: { $ref: '#/components/schemas/Localized' }, status: { type: 'string', enum: ['draft', 'scheduled', 'open', 'closed', 'archived'] }, opensAt: { type: ['string', 'null'], format: 'date-time' }, closesAt: { type: ['string', 'null'], format: 'date-time' }, responses: { type: 'integer' } },
        },
        Survey: { allOf: [{ $ref: '#/components/schemas/SurveySummary' }, { type: 'object', properties: { definition: { type: 'object', description: 'The survey definition (surveys/schemas/survey-definition.schema.json).' } }, required: ['definition'] }] },
        QuestionResult: {
          type: 'object',
          required: ['id', 'type', 'answered'],
          properties: {
            id: { type: 'string' },
            type: { type: 'string' },
            answered: { type: 'integer' },
            base: {
              type: 'object',
              description: 'What the shares are of: the n respondents who answered the question; counted says what each adds (one answer, each option chosen, a first choice, a rating). protected: fewer than the small-cell minimum, shares and means are null.',
              properties: { n: { type: 'integer' }, of: { type: 'string', const: 'respondents' }, counted: { type: 'string', enum: ['one-answer', 'each-option-chosen', 'first-choice', 'rating', 'text'] }, protected: { type: 'boolean' } },
            },
            rows: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, count: { type: 'integer' }, share: { type: ['number', 'null'] } } } },
            items: { type: 'array', description: 'Ranking items, sorted by Borda score.', items: { type: 'object', properties: { id: { type: 'string' }, firstChoice: { type: 'integer' }, firstChoiceShare: { type: ['number', 'null'] }, bordaScore: { type: 'number' }, bordaMean: { type: ['number', 'null'] }, mentions: { type: 'integer' } } } },
            mean: { type: ['object', 'null'], properties: { n: { type: 'integer' }, mean: { type: 'number' }, sd: { type: ['number', 'null'] }, low: { type: ['number', 'null'] }, high: { type: ['number', 'null'] } } },
            topBox: { type: ['object', 'null'] },
            yes: { type: 'object' },
          },
        },
        Results: {
          type: 'object',
          required: ['survey', 'total', 'filter', 'smallCellProtected', 'questions'],
          properties: { survey: { type: 'string' }, total: { type: 'integer' }, filter: { type: 'object' }, smallCellProtected: { type: 'boolean', description: 'True when fewer responses than the small-cell minimum: shares are null.' }, questions: { type: 'array', items: { $ref: '#/components/schemas/QuestionResult' } }, integrity: { $ref: '#/components/schemas/Integrity' } },
        },
        Integrity: {
          type: 'object',
          description: 'Vote checks since the survey opened, whatever the filters. Bot refusals (honeypot, tooFast, badToken) and codeRefused count once per address group, reason and 10 minutes; the others count each post.',
          required: ['counted', 'refused', 'refusedAddressGroups', 'watch'],
          properties: {
            counted: { type: 'integer', description: 'Votes counted.' },
            refused: {
              type: 'object',
              required: ['duplicate', 'rateLimited', 'honeypot', 'tooFast', 'badToken', 'invalid', 'codeRefused'],
              properties: {
                duplicate: { type: 'integer', description: 'Second votes of a browser, used invitation codes, repeated forms.' },
                rateLimited: { type: 'integer', description: 'Posts over the address group\'s budget (429); mistaken posts have a budget of their own.' },
                honeypot: { type: 'integer', description: 'Refused as bots: the hidden field was filled.' },
                tooFast: { type: 'integer', description: 'Refused as bots: sent faster than the minimum fill time.' },
                badToken: { type: 'integer', description: 'Refused as bots: forged, expired or foreign form token.' },
                invalid: { type: 'integer', description: 'Sent back with mistakes (not counted as votes).' },
                codeRefused: { type: 'integer', description: 'Unknown, revoked or expired invitation code.' },
              },
            },
            refusedAddressGroups: { type: 'integer', description: 'Address groups refused as bots, once per 10 minutes whatever the reason.' },
            watch: {
              type: 'object',
              description: 'Watched in memory by the answering server process since it started (bounded): bursts of the last hour, repeated free texts.',
              properties: {
                busiestMinutes: { type: 'array', items: { type: 'object', properties: { minute: { type: 'string', format: 'date-time' }, votes: { type: 'integer' } } } },
                busiestGroups: { type: 'array', items: { type: 'object', properties: { group: { type: 'string', description: 'Shortened keyed hash of an address group (IPv4 address, IPv6 /56).' }, votes: { type: 'integer' } } } },
                repeatedTexts: { type: 'integer', description: 'Free-text answers repeating an earlier one verbatim.' },
                topTexts: { type: 'array', items: { type: 'object', properties: { text: { type: 'string' }, count: { type: 'integer' } } } },
                textsTruncated: { type: 'boolean', description: 'True when more distinct texts came than are tracked (2,000).' },
              },
            },
          },
        },
        CrossTabSide: { type: 'object', required: ['id', 'type', 'title', 'counted'], properties: { id: { type: 'string' }, type: { type: 'string' }, title: { $ref: '#/components/schemas/Localized' }, counted: { type: 'string', enum: ['answer', 'each-option-chosen', 'first-choice', 'any-rank'], description: 'What puts a respondent in a row or column.' } } },
        CrossTab: {
          type: 'object',
          required: ['survey', 'rows', 'cols', 'total', 'base', 'columns', 'cells'],
          properties: {
            survey: { type: 'string' },
            filter: { type: 'object' },
            rows: { $ref: '#/components/schemas/CrossTabSide' },
            cols: { $ref: '#/components/schemas/CrossTabSide' },
            total: { type: 'integer', description: 'Respondents who answered both questions.' },
            base: { type: 'string', const: 'respondents-in-row', description: 'Row shares are of the respondents in the row.' },
            smallCellThreshold: { type: 'integer' },
            columns: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, label: { $ref: '#/components/schemas/Localized' }, n: { type: 'integer' }, share: { type: ['number', 'null'] } } } },
            cells: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  row: { type: 'string' },
                  label: { $ref: '#/components/schemas/Localized' },
                  base: { type: 'integer' },
                  protected: { type: 'boolean' },
                  mean: { type: ['object', 'null'], description: 'A rating column: the row\'s mean with its 95% t interval.' },
                  cells: { type: 'array', items: { type: 'object', properties: { col: { type: 'string' }, n: { type: 'integer' }, base: { type: 'integer' }, rowShare: { type: ['number', 'null'] }, protected: { type: 'boolean' } } } },
                },
              },
            },
            chiSquare: { type: ['object', 'null'], description: 'Pearson\'s test of independence when each respondent is in one row and one column; warning when more than 20% of cells expect fewer than 5.', properties: { statistic: { type: 'number' }, df: { type: 'integer' }, p: { type: 'number' }, smallExpected: { type: 'integer' }, cells: { type: 'integer' }, warning: { type: 'boolean' } } },
          },
        },
        Response: { type: 'object', properties: { day: { type: 'string' }, district: { type: ['string', 'null'] }, channel: { type: 'string' }, language: { type: 'string' }, answers: { type: 'object' }, otherText: { type: 'object' } } },
        ...adviceOpenApiSchemas,
        Error: { type: 'object', required: ['error'], properties: { error: { type: 'object', required: ['status', 'code', 'message'], properties: { status: { type: 'integer' }, code: { type: 'string' }, message: { type: 'string' }, requestId: { type: 'string' } } } } },
      },
    },
  };
}
