import type { RequestHandler } from 'express';
import type { DatabaseConnection } from '../../db/connect.js';
import type { RunningDatabase } from '../../db/running-database.js';

/** GET /healthz: 200 when the database answers a ping within its timeout, 503 otherwise; for probes and operators. */
export function healthController(deps: { database: DatabaseConnection; runningDatabase: Pick<RunningDatabase, 'kind'>; timeoutMs: number }): RequestHandler {
  return async (_req, res) => {
    const started = Date.now();
    let state: 'up' | 'down' = 'down';
    let error: string | undefined;
    try {
      const db = deps.database.connection.db;
      if (!db || !deps.database.isConnected()) throw new Error('not connected');
      await Promise.race([
        db.command({ ping: 1 }),
        new Promise((_, reject) => setTimeout(() => reject(new Error('ping timed out')), deps.timeoutMs).unref()),
      ]);
      state = 'up';
    } catch (e) {
      error = (e as Error).message;
    }
    res.setHeader('Cache-Control', 'no-store');
    res.status(state === 'up' ? 200 : 503).json({
      status: state === 'up' ? 'ok' : 'unavailable',
      database: {
        state,
        kind: deps.runningDatabase.kind,
        engine: deps.database.capabilities.isFerretdb ? 'ferretdb' : 'mongodb',
        replicaSet: deps.database.capabilities.isReplicaSet,
        latencyMs: Date.now() - started,
        ...(error ? { error } : {}),
      },
      uptimeSeconds: Math.round(process.uptime()),
    });
  };
}
