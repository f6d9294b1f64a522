/** The advice part of the OpenAPI description: spread into openapi.ts's paths and schemas. */
const errorResponse = { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
const statuses = ['received', 'in-progress', 'replied', 'closed'];

export const adviceOpenApiPaths = {
  '/bureaus/{bureau}/advice': {
    get: {
      summary: "The bureau's advice cases (no contact details), with the queue's filters",
      operationId: 'listAdviceCases',
      parameters: [
        { name: 'bureau', in: 'path', required: true, schema: { type: 'string' } },
        { name: 'status', in: 'query', schema: { type: 'string', enum: statuses } },
        { name: 'category', in: 'query', schema: { type: 'string' }, description: 'A category id of the bureau.' },
        { name: 'district', in: 'query', schema: { type: 'string' }, description: 'A district id of the bureau.' },
        { name: 'overdue', in: 'query', schema: { type: 'string', enum: ['1'] }, description: 'Only open cases past their reply deadline.' },
        { name: 'q', in: 'query', schema: { type: 'string', maxLength: 100 }, description: 'Text, reply or case reference contains.' },
      ],
      responses: { 200: { description: 'Cases, newest first', content: { 'application/json': { schema: { $ref: '#/components/schemas/AdviceCases' } } } }, 401: errorResponse, 404: errorResponse },
    },
  },
};

export const adviceOpenApiSchemas = {
  AdviceCases: {
    type: 'object',
    required: ['bureau', 'replyWorkingDays', 'categories', 'filter', 'cases'],
    properties: {
      bureau: { type: 'string' },
      replyWorkingDays: { type: 'integer', description: 'Reply deadline in working days (Monday to Friday, bureau time zone).' },
      categories: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, name: { $ref: '#/components/schemas/Localized' } } } },
      filter: { type: 'object' },
      cases: { type: 'array', items: { $ref: '#/components/schemas/AdviceCase' } },
    },
  },
  AdviceCase: {
    type: 'object',
    required: ['ref', 'id', 'receivedDay', 'dueDay', 'status', 'overdue', 'category', 'text'],
    properties: {
      ref: { type: 'string', description: 'Short reference (first 8 characters of the id).' },
      id: { type: 'string' },
      receivedDay: { type: 'string', format: 'date', description: 'Bureau time zone.' },
      dueDay: { type: 'string', format: 'date' },
      status: { type: 'string', enum: statuses },
      overdue: { type: 'boolean' },
      category: { type: 'string' },
      categoryName: { type: 'string' },
      district: { type: ['string', 'null'] },
      districtName: { type: ['string', 'null'] },
      text: { type: 'string' },
      reply: { type: ['string', 'null'] },
      repliedDay: { type: ['string', 'null'], format: 'date' },
      assignee: { type: ['string', 'null'], description: 'Email of the staff member assigned.' },
      publishConsent: { type: 'boolean' },
      publicApproved: { type: 'boolean' },
      satisfaction: { type: ['string', 'null'], enum: ['satisfied', 'basically-satisfied', 'dissatisfied', null] },
    },
  },
};
