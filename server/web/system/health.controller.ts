import type { RequestHandler } from 'express';
import type { DatabaseConnection } from '../../db/connect.js';
import type { DatabaseHealth } from '../../db/database-health.js';
import type { RunningDatabase } from '../../db/running-database.js';

/**
 * GET /healthz, for probes and operators: 200 when the database answers a round trip that proves it answers
 * this request (DatabaseHealth.probe) and no database fault was seen in the last seconds; 503 otherwise.
 */
export function healthController(deps: { database: DatabaseConnection; health: Pick<DatabaseHealth, 'probe'>; runningDatabase: Pick<RunningDatabase, 'kind'> }): RequestHandler {
  return async (_req, res) => {
    const started = Date.now();
    const probe = await deps.health.probe();
    const state = probe.error === undefined ? 'up' : 'down';
    res.setHeader('Cache-Control', 'no-store');
    if (!probe.healthy) res.setHeader('Retry-After', '5');
    res.status(probe.healthy ? 200 : 503).json({
      status: probe.healthy ? 'ok' : 'unavailable',
      database: {
        state,
        kind: deps.runningDatabase.kind,
        engine: deps.database.capabilities.isFerretdb ? 'ferretdb' : 'mongodb',
        replicaSet: deps.database.capabilities.isReplicaSet,
        latencyMs: Date.now() - started,
        ...(probe.error ? { error: probe.error } : {}),
        ...(probe.recentFault ? { recentFault: probe.recentFault } : {}),
      },
      uptimeSeconds: Math.round(process.uptime()),
    });
  };
}
