/** The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json. */
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
        get: { summary: 'Results, with the same filters as the dashboard', operationId: 'getResults', parameters: [...surveyPath, ...filterParameters], responses: { 200: { description: 'Results', content: { 'application/json': { schema: { $ref: '#/components/schemas/Results' } } } }, 401: errorResponse, 404: errorResponse } },
      },
      '/surveys/{bureau}/{survey}/responses': {
        get: { summary: 'Raw responses as a JSON array, streamed (no client data)', operationId: 'getResponses', parameters: [...surveyPath, ...filterParameters], responses: { 200: { description: 'Responses', content: { 'application/json': { schema: { type: 'array', items: { $ref: '#/components/schemas/Response' } } } } }, 401: errorResponse, 404: errorResponse } },
      },
      '/surveys/{bureau}/{survey}/responses.csv': {
        get: { summary: 'Raw responses as CSV (UTF-8 with BOM), streamed', operationId: 'getResponsesCsv', parameters: [...surveyPath, ...filterParameters], responses: { 200: { description: 'CSV', content: { 'text/csv': { schema: { type: 'string' } } } }, 401: errorResponse, 404: errorResponse } },
      },
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
          properties: { survey: { type: 'string' }, total: { type: 'integer' }, filter: { type: 'object' }, smallCellProtected: { type: 'boolean', description: 'True when fewer responses than the small-cell minimum: shares are null.' }, questions: { type: 'array', items: { $ref: '#/components/schemas/QuestionResult' } } },
        },
        Response: { type: 'object', properties: { day: { type: 'string' }, district: { type: ['string', 'null'] }, channel: { type: 'string' }, language: { type: 'string' }, answers: { type: 'object' }, otherText: { type: 'object' } } },
        Error: { type: 'object', required: ['error'], properties: { error: { type: 'object', required: ['status', 'code', 'message'], properties: { status: { type: 'integer' }, code: { type: 'string' }, message: { type: 'string' }, requestId: { type: 'string' } } } } },
      },
    },
  };
}
