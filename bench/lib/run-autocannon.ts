/** Runs one autocannon measurement and boils its result down to the figures the tables print. */
import autocannon from 'autocannon';

export interface LoadOptions {
  /** Base address, e.g. http://127.0.0.1:3000. */
  url: string;
  /**
   * The request to repeat. `setupRequest` runs before every request (a fresh body, cookie, token...); it gets
   * a per-connection context object, the same one `onResponse` sees for that request's response.
   */
  request: autocannon.Request;
  /** The status every response should have; any other counts as unexpected. */
  expectStatus: number;
  connections: number;
  /** Seconds; ignored when `amount` is set. */
  duration?: number;
  /** A fixed number of requests instead of a duration (warm-ups). */
  amount?: number;
}

export interface LoadSummary {
  requestsPerSecond: number;
  /** Milliseconds. */
  latency: { p50: number; p97_5: number; p99: number; max: number };
  /** Responses received before the run stopped. */
  responses: number;
  /** Responses with the expected status. */
  expected: number;
  /** Responses with any other status, by status. */
  unexpected: Record<string, number>;
  unexpectedTotal: number;
  /** Connection errors and timeouts (no response at all). */
  errors: number;
  timeouts: number;
  /** Status and start of the body of the first unexpected response, to find out why. */
  firstUnexpected: { status: number; body: string } | undefined;
  durationSeconds: number;
}

export async function runAutocannon(options: LoadOptions): Promise<LoadSummary> {
  let firstUnexpected: LoadSummary['firstUnexpected'];
  const userOnResponse = options.request.onResponse;
  if (typeof userOnResponse === 'string') throw new Error('runAutocannon: onResponse must be a function (no workers)');
  const request: autocannon.Request = {
    ...options.request,
    onResponse(status, body, context, headers) {
      if (status !== options.expectStatus && firstUnexpected === undefined) firstUnexpected = { status, body: body.slice(0, 2000) };
      userOnResponse?.(status, body, context, headers);
    },
  };
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    pipelining: 1,
    ...(options.amount !== undefined ? { amount: options.amount } : { duration: options.duration ?? 10 }),
    requests: [request],
  });

  const unexpected: Record<string, number> = {};
  let expected = 0;
  let responses = 0;
  for (const [status, stats] of Object.entries(result.statusCodeStats ?? {})) {
    const count = stats.count ?? 0;
    responses += count;
    if (Number(status) === options.expectStatus) expected += count;
    else unexpected[status] = count;
  }
  return {
    requestsPerSecond: result.requests.mean,
    latency: { p50: result.latency.p50, p97_5: result.latency.p97_5, p99: result.latency.p99, max: result.latency.max },
    responses,
    expected,
    unexpected,
    unexpectedTotal: responses - expected,
    errors: result.errors,
    timeouts: result.timeouts,
    firstUnexpected,
    durationSeconds: result.duration,
  };
}
