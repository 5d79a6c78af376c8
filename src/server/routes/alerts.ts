import type { FastifyInstance } from 'fastify';
import type { AlertReview } from '../alert-review.js';
import { requireScope, type BearerAuth } from '../auth.js';
import { watchAlertStates } from '../../metrics/alert-states.js';
import { register as assign } from './alerts/assign.js';
import { register as audit } from './alerts/audit.js';
import { register as comment } from './alerts/comment.js';
import { register as counts } from './alerts/counts.js';
import { register as exportAlerts } from './alerts/export.js';
import { register as get } from './alerts/get.js';
import { register as list } from './alerts/list.js';
import { register as reopen } from './alerts/reopen.js';
import { register as resolve } from './alerts/resolve.js';
import { register as revokeKey } from './alerts/revoke-key.js';
import type { AlertRouteDeps } from './alerts/shared.js';

/**
 * /api/v1/alerts: the security team's review of leaked keys (docs/api.md, "Alerts").
 * `security` scope (or `admin`). Every change names its token in the audit trail.
 * One module per endpoint under alerts/, registered here in the order the OpenAPI description lists them.
 */
export function alertRoutes(app: FastifyInstance, review: AlertReview, auth: BearerAuth): void {
  const unwatch = watchAlertStates(review.alerts);
  app.addHook('onClose', async () => unwatch());
  const deps: AlertRouteDeps = { review, security: requireScope(auth, ['security']) };
  for (const register of [list, counts, exportAlerts, get, audit, resolve, reopen, assign, comment, revokeKey]) register(app, deps);
}
